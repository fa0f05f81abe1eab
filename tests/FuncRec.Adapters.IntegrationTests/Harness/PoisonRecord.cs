namespace FuncRec.Adapters.IntegrationTests.Harness;

/// <summary>A message in the poison queue as either implementation keeps it.</summary>
public sealed record PoisonRecord(string Body, string Reason, long DequeueCount);
