using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;

namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>
/// A user store whose reads of one user keep failing as an unreachable store would (a transient fault: nothing is
/// wrong with the message); every other user goes to the real store.
/// </summary>
public sealed class FailingUserStore(IUserStore inner, string failingUserId) : IUserStore
{
    private int _failures;

    public int Failures => Volatile.Read(ref _failures);

    public static string FailureMessage(int failure) => $"the user store did not answer (failure {failure})";

    public Task<Versioned<UserDocument>?> GetAsync(string id, CancellationToken cancellationToken)
        => id == failingUserId
            ? throw new IOException(FailureMessage(Interlocked.Increment(ref _failures)))
            : inner.GetAsync(id, cancellationToken);

    public Task<string?> TryWriteAsync(UserDocument document, string? expectedETag, CancellationToken cancellationToken)
        => inner.TryWriteAsync(document, expectedETag, cancellationToken);

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) => inner.DeleteAsync(id, cancellationToken);
}
