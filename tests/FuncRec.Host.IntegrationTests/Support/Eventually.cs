namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>Polls a condition of an asynchronous system until it holds, failing with what was awaited after a bounded time.</summary>
public static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:F0} s for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
