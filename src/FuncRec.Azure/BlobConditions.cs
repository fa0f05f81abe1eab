using Azure;

namespace FuncRec.Azure;

/// <summary>How Blob storage reports a conditional write that did not hold.</summary>
internal static class BlobConditions
{
    /// <summary>
    /// If-None-Match: * on a blob that exists answers 409 BlobAlreadyExists; a stale If-Match answers 412
    /// ConditionNotMet (as does If-None-Match: * on some service versions): either way someone else wrote first.
    /// </summary>
    public static bool IsWriteConditionFailed(RequestFailedException exception) => exception.Status is 409 or 412;
}
