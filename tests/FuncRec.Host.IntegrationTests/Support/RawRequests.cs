using System.Net.Http.Headers;
using System.Text;

namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>Requests with bodies exactly as given (bad JSON, raw bytes, bodies without a declared length).</summary>
public static class RawRequests
{
    public static Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string path, string? body)
        => client.SendAsync(method, path, body is null ? null : Encoding.UTF8.GetBytes(body));

    public static Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string path, byte[]? body, bool declareLength = true)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            // Without a declared length the body is sent chunked, so only the server's own counting can stop it.
            request.Content = declareLength ? new ByteArrayContent(body) : new StreamContent(new UnknownLengthStream(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return client.SendAsync(request);
    }

    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
