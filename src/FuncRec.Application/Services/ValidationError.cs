namespace FuncRec.Application.Services;

/// <summary>Bad input from a client, naming the field; hosts answer it with 400 and ProblemDetails.</summary>
public sealed class ValidationError(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>A thing the request names does not exist; hosts answer 404.</summary>
public sealed class NotFoundError(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>A queue message that can never be applied; the queue host moves it to the poison queue with this reason.</summary>
public sealed class PoisonMessageException(string reason, Exception? inner = null) : Exception(reason, inner)
{
    public string Reason { get; } = reason;
}

/// <summary>A dependency (queue, store) did not take the work; hosts answer 503 and nothing was half-applied.</summary>
public sealed class UnavailableError(string message, Exception? inner = null) : Exception(message, inner);
