using CrackSeg.Cli;

NativeEnvironment.PrepareForTorch(); // before anything loads LibTorch
return await CliApp.RunAsync(args, Console.Out, Console.Error);
