using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace FuncRec.Azure;

/// <summary>
/// Certificate checks for a local Cosmos emulator: the emulators serve self-signed (cosmosdb-server: long expired)
/// certificates, so an invalid certificate is accepted, but only from a loopback address. Any other host must
/// present a valid certificate, so the exception can never weaken a connection that leaves the machine.
/// </summary>
internal static class LoopbackCertificatePolicy
{
    public static bool Validate(HttpRequestMessage request, X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors)
        => errors == SslPolicyErrors.None || request.RequestUri is { IsLoopback: true };

    public static HttpClient CreateHttpClient()
        => new(new HttpClientHandler { ServerCertificateCustomValidationCallback = Validate });
}
