@echo off
set SAS=sv=2022-11-02^&sr=b^&sp=rw^&se=2029-06-30T00%%3A00%%3A00Z^&spr=https^&sig=KnDHSB7AjJnk%%2BvXFvci1iYd4fHpIj8t10PX%%2FNMgZEBQ%%3D
azcopy copy build.zip "https://contosodata.blob.core.windows.net/drops/build.zip?%SAS%"
