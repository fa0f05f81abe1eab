namespace FuncRec.Core.Training;

/// <summary>
/// The most recent items of each user (by catalog index) with the value of the latest interaction, oldest
/// first: the Behaviour features of the user side as they stood before each event. Kept by learners that see
/// events in order (online learning, prequential evaluation), so a user's vector reflects what they just did.
/// </summary>
public sealed class UserHistories(int capacity)
{
    private readonly Dictionary<int, Ring> _rings = [];

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    /// <summary>Copies the user's recent items and values, oldest first, and returns how many there are.</summary>
    public int Recent(int user, Span<int> items, Span<float> values)
        => _rings.TryGetValue(user, out var ring) ? ring.CopyTo(items, values) : 0;

    public int CountOf(int user) => _rings.TryGetValue(user, out var ring) ? ring.Count : 0;

    public bool Contains(int user, int item) => _rings.TryGetValue(user, out var ring) && ring.IndexOf(item) >= 0;

    /// <summary>Records that the user interacted with the item; a repeat moves it to the newest place with the new value.</summary>
    public void Record(int user, int item, float value)
    {
        if (!_rings.TryGetValue(user, out var ring))
        {
            ring = new Ring(Capacity);
            _rings.Add(user, ring);
        }

        ring.Push(item, value);
    }

    /// <summary>A fixed-size circular buffer of (item, value), oldest at <c>_start</c>.</summary>
    private sealed class Ring(int capacity)
    {
        private readonly int[] _items = new int[capacity];
        private readonly float[] _values = new float[capacity];
        private int _start;

        public int Count { get; private set; }

        public int IndexOf(int item)
        {
            // Two straight scans (the wrapped tail, then the head) instead of a modulo per element.
            var tail = Math.Min(Count, _items.Length - _start);
            var at = _items.AsSpan(_start, tail).IndexOf(item);
            if (at >= 0)
            {
                return at;
            }

            at = _items.AsSpan(0, Count - tail).IndexOf(item);
            return at >= 0 ? tail + at : -1;
        }

        public void Push(int item, float value)
        {
            var existing = IndexOf(item);
            if (existing >= 0)
            {
                // Move a repeated item to the newest place by shifting the newer ones down.
                for (var j = existing; j < Count - 1; j++)
                {
                    var to = Wrap(_start + j);
                    var from = Wrap(_start + j + 1);
                    _items[to] = _items[from];
                    _values[to] = _values[from];
                }

                var last = Wrap(_start + Count - 1);
                _items[last] = item;
                _values[last] = value;
                return;
            }

            if (Count < _items.Length)
            {
                var at = Wrap(_start + Count);
                _items[at] = item;
                _values[at] = value;
                Count++;
            }
            else
            {
                _items[_start] = item;
                _values[_start] = value;
                _start = Wrap(_start + 1);
            }
        }

        public int CopyTo(Span<int> items, Span<float> values)
        {
            var n = Math.Min(Count, Math.Min(items.Length, values.Length));
            var skip = Count - n;
            for (var i = 0; i < n; i++)
            {
                var at = Wrap(_start + skip + i);
                items[i] = _items[at];
                values[i] = _values[at];
            }

            return n;
        }

        private int Wrap(int index) => index >= _items.Length ? index - _items.Length : index;
    }
}
