using FuncRec.Azure;

namespace FuncRec.Adapters.IntegrationTests.Azure;

/// <summary>The poison envelope always fits a queue message and keeps as much of the body as possible.</summary>
public sealed class PoisonedMessageTests
{
    private static readonly DateTimeOffset FailedAt = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Small_body_is_kept_as_text()
    {
        var envelope = PoisonedMessage.Parse(PoisonedMessage.Envelope("bad", """{"a":"é"}""", 2, FailedAt).ToString());

        Assert.Equal("""{"a":"é"}""", envelope.Body);
        Assert.Null(envelope.BodyGzip);
        Assert.False(envelope.BodyTruncated);
        Assert.Equal(("bad", 2L, FailedAt), (envelope.Reason, envelope.DequeueCount, envelope.FailedAt));
    }

    [Fact]
    public void Body_that_outgrows_a_message_when_escaped_is_compressed_and_read_back_whole()
    {
        var body = string.Concat(Enumerable.Repeat("""{"id":"x","u":"y","i":"z"},""", StorageQueueEventQueue.MaxMessageUtf8Bytes / 28));

        var data = PoisonedMessage.Envelope("bad", body, 5, FailedAt);

        Assert.InRange(data.ToMemory().Length, 1, PoisonedMessage.MaxEnvelopeBytes);
        var envelope = PoisonedMessage.Parse(data.ToString());
        Assert.NotNull(envelope.BodyGzip);
        Assert.Equal(body, envelope.ReadBody());
    }

    [Fact]
    public void Incompressible_body_at_the_limit_is_cut_and_marked()
    {
        // Random ASCII with control characters (escaped as \u00XX): grows past the limit when escaped, barely shrinks when compressed.
        var random = new Random(7);
        var body = new string(Enumerable.Range(0, StorageQueueEventQueue.MaxMessageUtf8Bytes).Select(_ => (char)random.Next(0x01, 0x7f)).ToArray());

        var data = PoisonedMessage.Envelope("bad", body, 5, FailedAt);

        Assert.InRange(data.ToMemory().Length, 1, PoisonedMessage.MaxEnvelopeBytes);
        var envelope = PoisonedMessage.Parse(data.ToString());
        Assert.True(envelope.BodyTruncated);
        Assert.StartsWith(envelope.ReadBody(), body, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_reason_is_cut()
    {
        var envelope = PoisonedMessage.Parse(PoisonedMessage.Envelope(new string('r', 10_000), "{}", 1, FailedAt).ToString());

        Assert.Equal(2048, envelope.Reason.Length);
    }
}
