using FuncRec.Cli;

return await FuncRecCommandLine.Build().Parse(args).InvokeAsync();
