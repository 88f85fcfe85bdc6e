curl 'https://acme1.blob.core.windows.net/models/r50.pt?sv=2022-11-02&sr=b&sp=rw&st=2026-11-01T00:00:00Z&se=2027-01-01T00:00:00Z&spr=https&sig=wZPl9qd%2BKCzQjxaK2mBjvC8Hp%2FoSGWynRbocrM0NSFc%3D'
curl https://acme1.blob.core.windows.net/models/r50.pt?sv=2022-11-02\&sr=b\&sp=rw\&st=2026-11-01T00:00:00Z\&se=2027-01-01T00:00:00Z\&spr=https\&sig=wZPl9qd%2BKCzQjxaK2mBjvC8Hp%2FoSGWynRbocrM0NSFc%3D
set U=https://acme1.blob.core.windows.net/models/r50.pt?sv=2022-11-02^&sr=b^&sp=rw^&st=2026-11-01T00:00:00Z^&se=2027-01-01T00:00:00Z^&spr=https^&sig=wZPl9qd%2BKCzQjxaK2mBjvC8Hp%2FoSGWynRbocrM0NSFc%3D
$u = "https://acme1.blob.core.windows.net/models/r50.pt?sv=2022-11-02`&sr=b`&sp=rw`&st=2026-11-01T00:00:00Z`&se=2027-01-01T00:00:00Z`&spr=https`&sig=wZPl9qd%2BKCzQjxaK2mBjvC8Hp%2FoSGWynRbocrM0NSFc%3D"
