using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FuncRec.Infra.Tests;

public sealed record RecordedRequest(string Method, string PathAndQuery, string? FunctionKey, string Body);

/// <summary>
/// A stand-in for the FuncRec HTTP API that answers per the contract (health 200, events 202, recommendations 200,
/// score 200, JSON bodies), records what it receives, and can be told to misbehave on one path.
/// </summary>
public sealed class FakeFuncRecApi : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly string? _requiredKey;
    private readonly Func<RecordedRequest, (int Status, string Body)?> _override;

    public FakeFuncRecApi(string? requiredKey = null, Func<RecordedRequest, (int Status, string Body)?>? respond = null)
    {
        _requiredKey = requiredKey;
        _override = respond ?? (_ => null);
        BaseUrl = $"http://127.0.0.1:{FreePort()}";
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string BaseUrl { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var request = new RecordedRequest(
                context.Request.HttpMethod,
                context.Request.Url!.PathAndQuery,
                context.Request.Headers["x-functions-key"],
                await reader.ReadToEndAsync());
            Requests.Enqueue(request);

            var (status, body) = _override(request) ?? Answer(request);
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private (int Status, string Body) Answer(RecordedRequest request)
    {
        if (_requiredKey is not null && request.FunctionKey != _requiredKey)
        {
            return (401, "");
        }

        var path = request.PathAndQuery.Split('?')[0];
        return (request.Method, path) switch
        {
            ("GET", "/api/health") => (200, """{"status":"healthy"}"""),
            ("POST", "/api/events") => (202, """{"accepted":3,"rejected":[]}"""),
            ("GET", _) when path.StartsWith("/api/recommendations/", StringComparison.Ordinal) => (200, """{"items":[]}"""),
            ("POST", "/api/score") => (200, """{"scores":[]}"""),
            _ => (404, """{"error":"not found"}"""),
        };
    }
}
