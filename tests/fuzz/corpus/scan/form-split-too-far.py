A = ("?sv=2022-11-02&sr=b&sp=rw"



     "&se=2030-01-01T00:00:00Z&spr=https&sig=IdslBSgnE6ad8H89nSrHxJn%2BVsGN7Zz7bpcdznnvAB0%3D")
