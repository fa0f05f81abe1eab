namespace FuncRec.Core.Training;

/// <summary>
/// Each user's distinct items in a set of interactions with the value of the latest interaction, oldest first
/// and capped to the newest <c>cap</c>: the Behaviour features used when a whole dataset is trained or scored at once.
/// </summary>
public sealed class BehaviourIndex
{
    private readonly int[][] _items;
    private readonly float[][] _values;

    public BehaviourIndex(int userCount, IEnumerable<Interaction> interactions, int cap)
    {
        var lists = new List<(long Time, int Order, int Item, float Value)>?[userCount];
        var order = 0;
        foreach (var interaction in interactions)
        {
            if ((uint)interaction.User < (uint)userCount)
            {
                (lists[interaction.User] ??= []).Add((interaction.Timestamp, order++, interaction.Item, interaction.Value));
            }
        }

        _items = new int[userCount][];
        _values = new float[userCount][];
        for (var u = 0; u < userCount; u++)
        {
            var list = lists[u];
            if (list is null)
            {
                _items[u] = [];
                _values[u] = [];
                continue;
            }

            list.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.Order.CompareTo(b.Order));
            var seen = new HashSet<int>();
            var newestFirst = new List<(int Item, float Value)>();
            for (var i = list.Count - 1; i >= 0 && (cap <= 0 || newestFirst.Count < cap); i--)
            {
                if (seen.Add(list[i].Item))
                {
                    newestFirst.Add((list[i].Item, list[i].Value));
                }
            }

            newestFirst.Reverse();
            _items[u] = newestFirst.Select(x => x.Item).ToArray();
            _values[u] = newestFirst.Select(x => x.Value).ToArray();
        }
    }

    public int UserCount => _items.Length;

    /// <summary>The user's items, oldest first.</summary>
    public ReadOnlySpan<int> Of(int user) => (uint)user < (uint)_items.Length ? _items[user] : [];

    /// <summary>The values of the user's latest interaction with each of <see cref="Of"/>'s items.</summary>
    public ReadOnlySpan<float> ValuesOf(int user) => (uint)user < (uint)_values.Length ? _values[user] : [];
}
