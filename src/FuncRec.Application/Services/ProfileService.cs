using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Core.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>
/// Users' and items' features (<c>PUT /api/users/{id}</c>, <c>PUT /api/items/{id}</c>) and forgetting a user
/// (<c>DELETE /api/users/{id}</c>). A new item is recommendable at once on this instance (and on the others at
/// their next refresh). Forgetting removes the user's features, recent interactions and online state, leaves a
/// tombstone so in-flight events cannot bring them back, and logs the deletion so fine-tuning leaves their
/// events out from then on.
/// </summary>
public sealed class ProfileService(
    IUserStore users,
    IItemStore items,
    IEventLog log,
    ModelHost host,
    IOptions<FuncRecOptions> options,
    TimeProvider clock,
    ILogger<ProfileService> logger)
{
    public const int MaxFields = 64;
    private readonly EventParser _ids = new(options.Value.Ingest);

    public async Task<UserDocument> PutUserAsync(string userId, Dictionary<string, FeatureValue> features, CancellationToken cancellationToken)
    {
        CheckId("userId", userId);
        CheckFeatures(features);
        for (var attempt = 0; attempt < options.Value.Online.MaxWriteAttempts; attempt++)
        {
            var stored = await users.GetAsync(userId, cancellationToken);
            var current = stored?.Value is { DeletedAt: null } live ? live : new UserDocument { Id = userId };
            var updated = current with { Features = new Dictionary<string, FeatureValue>(features, StringComparer.Ordinal), UpdatedAt = clock.GetUtcNow() };
            if (await users.TryWriteAsync(updated, stored?.ETag, cancellationToken) is not null)
            {
                return updated;
            }
        }

        throw new UnavailableError($"User {userId} kept changing; retry the request.");
    }

    public async Task<ItemDocument> PutItemAsync(string itemId, Dictionary<string, FeatureValue> features, CancellationToken cancellationToken)
    {
        CheckId("itemId", itemId);
        CheckFeatures(features);
        var item = new ItemDocument { Id = itemId, Features = new Dictionary<string, FeatureValue>(features, StringComparer.Ordinal), UpdatedAt = clock.GetUtcNow() };
        await items.UpsertAsync(item, cancellationToken);
        host.UpsertItem(item);
        return item;
    }

    public async Task<UserDocument?> GetUserAsync(string userId, CancellationToken cancellationToken)
    {
        CheckId("userId", userId);
        return (await users.GetAsync(userId, cancellationToken))?.Value is { DeletedAt: null } user ? user : null;
    }

    public async Task<ItemDocument?> GetItemAsync(string itemId, CancellationToken cancellationToken)
    {
        CheckId("itemId", itemId);
        return await items.GetAsync(itemId, cancellationToken);
    }

    /// <summary>Forgets a user; false when there was nobody to forget.</summary>
    public async Task<bool> DeleteUserAsync(string userId, CancellationToken cancellationToken)
    {
        CheckId("userId", userId);
        var now = clock.GetUtcNow();
        for (var attempt = 0; attempt < options.Value.Online.MaxWriteAttempts; attempt++)
        {
            var stored = await users.GetAsync(userId, cancellationToken);
            if (stored is null || stored.Value.DeletedAt is not null)
            {
                return false;
            }

            var tombstone = new UserDocument { Id = userId, DeletedAt = now, UpdatedAt = now };
            if (await users.TryWriteAsync(tombstone, stored.ETag, cancellationToken) is not null)
            {
                await log.AppendAsync(new AppliedBatch { BatchId = $"forget-{Guid.NewGuid():N}", AppliedAt = now, Events = [], ForgottenUsers = [userId] }, cancellationToken);
                host.ForgetUser(userId);
                logger.LogInformation("Forgot a user; their events leave fine-tuning from now on");
                return true;
            }
        }

        throw new UnavailableError($"User {userId} kept changing; retry the request.");
    }

    private void CheckId(string field, string id)
    {
        if (_ids.IdProblem(id) is { } problem)
        {
            throw new ValidationError(field, $"{field} {problem}");
        }
    }

    private static void CheckFeatures(Dictionary<string, FeatureValue>? features)
    {
        if (features is null)
        {
            throw new ValidationError("features", "features is required (an object of field names to values)");
        }

        if (features.Count > MaxFields)
        {
            throw new ValidationError("features", $"at most {MaxFields} feature fields are allowed");
        }

        foreach (var (name, value) in features)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > 64)
            {
                throw new ValidationError($"features.{name}", "feature names must be 1 to 64 characters");
            }

            var tooLong = value.Kind switch
            {
                FeatureValueKind.Text => value.Text!.Length > 4096,
                FeatureValueKind.List => value.List!.Count > 256 || value.List.Any(v => v is null || v.Length > 256),
                _ => false,
            };
            if (tooLong)
            {
                throw new ValidationError($"features.{name}", "texts are limited to 4096 characters, lists to 256 values of up to 256 characters");
            }
        }
    }
}
