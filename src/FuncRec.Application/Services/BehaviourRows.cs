using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FuncRec.Application.Contracts;
using FuncRec.Core.Features;

namespace FuncRec.Application.Services;

/// <summary>
/// The Behaviour rows and weights of users' recent interactions under one model, kept from one encoding of a user
/// to the next. Scoring a user and learning from each event encode the user's last interactions (dozens), and
/// looking each item up in the model's vocabulary read the interaction, its item id and the vocabulary's entry:
/// cache misses all, since the user's document was last touched long before, among thousands of others; that was a
/// tenth of the server's time under ingest load. The next encoding of the user finds the interactions it shares with
/// the kept ones by reference (see <see cref="SlidingWindow"/>) and looks up only the new ones. A serving model's
/// vocabulary never grows, so a kept row stays right for the model's life.
/// </summary>
internal sealed class BehaviourRows(FeatureEncoder encoder)
{
    /// <summary>
    /// Users kept at most; past it the cache starts again, as the store's document cache does. An entry holds ~1 KB
    /// of arrays and keeps its interactions (and their item ids) alive, a few KB more once the store's cache has let
    /// the user's document go.
    /// </summary>
    private const int MaxUsers = 20_000;

    private readonly ConcurrentDictionary<string, Kept> _users = new(StringComparer.Ordinal);
    private int _added;

    /// <summary>Appends the Behaviour features of the user's first <paramref name="count"/> recent interactions, as <see cref="FeatureEncoder.EncodeBehaviour"/> would.</summary>
    public void Append(UserDocument user, int count, FeatureVector into)
    {
        var kept = For(user);
        encoder.AppendBehaviour(kept.Rows.AsSpan(0, count), kept.Weights.AsSpan(0, count), into);
    }

    /// <summary>Users kept now (diagnostics; counting takes every bucket's lock).</summary>
    public int Count => _users.Count;

    /// <summary>Drops what is kept for a user (forgotten, or with no interactions left).</summary>
    public void Forget(string userId)
    {
        // Called for every encoding of a user without interactions (each cold start's request): the look-up takes no
        // lock, a removal does.
        if (_users.ContainsKey(userId))
        {
            _users.TryRemove(userId, out _);
        }
    }

    private Kept For(UserDocument user)
    {
        var recent = CollectionsMarshal.AsSpan(user.Recent);
        var dropped = 0;
        var shared = 0;
        if (_users.TryGetValue(user.Id, out var before))
        {
            shared = SlidingWindow.Shared<RecentInteraction>(recent, before.Interactions, out dropped);
            if (shared == recent.Length && before.Interactions.Length == recent.Length)
            {
                return before;
            }
        }

        // A copy of the references, not the list: callers append to a document's list between encodings.
        var kept = new Kept(recent.ToArray(), new int[recent.Length], new float[recent.Length]);
        if (shared > 0)
        {
            before!.Rows.AsSpan(dropped, shared).CopyTo(kept.Rows);
            before.Weights.AsSpan(dropped, shared).CopyTo(kept.Weights);
        }

        for (var i = shared; i < recent.Length; i++)
        {
            (kept.Rows[i], kept.Weights[i]) = encoder.BehaviourEntry(recent[i].ItemId, recent[i].Value);
        }

        if (before is null && Interlocked.Increment(ref _added) >= MaxUsers)
        {
            Interlocked.Exchange(ref _added, 0);
            _users.Clear();
        }

        _users[user.Id] = kept;
        return kept;
    }

    private sealed record Kept(RecentInteraction[] Interactions, int[] Rows, float[] Weights);
}
