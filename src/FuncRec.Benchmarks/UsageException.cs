namespace FuncRec.Benchmarks;

/// <summary>The command line asked for something this program does not do; the message says what, and the usage follows.</summary>
internal sealed class UsageException(string message) : Exception(message);
