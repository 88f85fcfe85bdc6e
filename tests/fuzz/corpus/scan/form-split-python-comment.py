SAS_URL = ("https://contosodata.blob.core.windows.net/exports/daily.csv?sv=2022-11-02&sr=b&sp=rw"
           # read-write until 2030 for the nightly job
           "&se=2030-01-01T00:00:00Z&spr=https&sig=v%2BpEBzaBKkEgyNfxicOkDyr76PFkMXOH086AhBnDEgI%3D")
