import MaiCommandLine

EntryPoint.main()
