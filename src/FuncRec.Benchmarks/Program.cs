using FuncRec.Benchmarks;

return BenchmarksCommandLine.Run(args);
