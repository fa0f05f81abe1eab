namespace FuncRec.Core.Training;

/// <summary>Draws items a user has not interacted with, for the ranking losses.</summary>
internal abstract class NegativeSampler
{
    public abstract int ItemCount { get; }

    /// <summary>Whether the item is a known positive of the user (never used as a negative).</summary>
    public abstract bool IsPositive(int user, int item);

    /// <summary>A uniform item that is not a known positive, or -1 after a few failed tries (a user who has seen nearly everything).</summary>
    public int Draw(int user, SeededRandom random)
    {
        var count = ItemCount;
        for (var attempt = 0; attempt < 16 && count > 0; attempt++)
        {
            var item = random.Next(count);
            if (!IsPositive(user, item))
            {
                return item;
            }
        }

        return -1;
    }
}

/// <summary>Positives are the user's items in the training data (sorted arrays, binary search).</summary>
internal sealed class DataNegativeSampler : NegativeSampler
{
    private readonly int[][] _positives;
    private readonly int _itemCount;

    public DataNegativeSampler(int userCount, int itemCount, IEnumerable<Interaction> interactions)
    {
        _itemCount = itemCount;
        var sets = new HashSet<int>?[userCount];
        foreach (var interaction in interactions)
        {
            (sets[interaction.User] ??= []).Add(interaction.Item);
        }

        _positives = sets.Select(s => s is null ? [] : s.Order().ToArray()).ToArray();
    }

    public override int ItemCount => _itemCount;

    public override bool IsPositive(int user, int item) => (uint)user < (uint)_positives.Length && Array.BinarySearch(_positives[user], item) >= 0;
}

/// <summary>Positives are the user's recent items as an online learner knows them; the item count follows a growing catalog.</summary>
internal sealed class HistoryNegativeSampler(UserHistories histories, EntityCatalog items) : NegativeSampler
{
    public override int ItemCount => items.Count;

    public override bool IsPositive(int user, int item) => histories.Contains(user, item);
}
