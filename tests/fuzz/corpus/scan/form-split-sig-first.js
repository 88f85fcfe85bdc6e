const q = '?sv=2022-11-02&sr=b&sig=ki56Bk677WKM5emXLmTaFlJGr36IYJ23s1RAjfHzcxg%3D' +
  '&sp=racw&se=2029-01-01T00:00:00Z&spr=https';
