using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace FuncRec.Http;

/// <summary>
/// A JSON answer for the hot routes (recommend, score, ingest), written the cheap way: the source generator's
/// straight-line writer into a per-thread buffer, then one copy into the response with its Content-Length.
/// <c>Results.Json</c> with <see cref="ApiJson.Options"/> takes the generic, resumable path instead (the enum
/// converter those options carry makes the generated writer unusable), which was ~8 % of the server's CPU under
/// recommend load, and answers chunked. The bytes are the same: these types carry no enums, and the context
/// shares the API's conventions (web defaults: camelCase, nulls written), which a test checks.
/// </summary>
public sealed class Utf8JsonAnswer<T>(T value, JsonTypeInfo<T> typeInfo, int statusCode = StatusCodes.Status200OK) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<T>
{
    // The API's limits bound an answer (1,000 event ids of up to 128 characters, 1,000 scores): a few hundred KB at
    // most, so a thread keeps the buffer its largest answer grew, and only something past these limits is dropped.
    private const int RetainedBufferBytes = 1024 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public int? StatusCode => statusCode;

    public T Value => value;

    object? IValueHttpResult.Value => value;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        WriteBody(response);
        try
        {
            await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        }
        catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing to answer, as Results.Json behaves.
        }
    }

    // Synchronous, so the per-thread buffer is copied into the response's pipe and free again before any await.
    private void WriteBody(HttpResponse response)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        try
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            JsonSerializer.Serialize(writer, value, typeInfo);
            writer.Flush();
            response.StatusCode = statusCode;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = buffer.WrittenCount;
            response.BodyWriter.Write(buffer.WrittenSpan);
        }
        finally
        {
            if (buffer.Capacity > RetainedBufferBytes)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }
}
