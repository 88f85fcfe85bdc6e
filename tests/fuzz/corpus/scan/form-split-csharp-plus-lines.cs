var sas = "?sv=2022-11-02&ss=b&srt=co&sp=rl" +
          "&se=2028-01-01T00:00:00Z&spr=https" +
          "&sig=1bZBoNbhrHsXddFp1nMwgS7Rnzvh64VJahtPMfUlHsc%3D";
