namespace FuncRec.Core.Evaluation;

/// <summary>Selects the k best-scoring indices without sorting everything (a small min-heap).</summary>
public static class TopK
{
    /// <summary>Indices of the k highest scores, best first; indices where <paramref name="skip"/> is true are left out. Ties go to the lower index.</summary>
    public static int[] Select(ReadOnlySpan<float> scores, int k, Func<int, bool>? skip = null)
    {
        if (k <= 0 || scores.IsEmpty)
        {
            return [];
        }

        k = Math.Min(k, scores.Length);
        var heapScores = new float[k];
        var heapItems = new int[k];
        var size = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (skip is not null && skip(i))
            {
                continue;
            }

            var s = scores[i];
            if (float.IsNaN(s))
            {
                continue;
            }

            if (size < k)
            {
                heapScores[size] = s;
                heapItems[size] = i;
                SiftUp(heapScores, heapItems, size++);
            }
            else if (Better(s, i, heapScores[0], heapItems[0]))
            {
                heapScores[0] = s;
                heapItems[0] = i;
                SiftDown(heapScores, heapItems, size);
            }
        }

        var result = new (float Score, int Item)[size];
        for (var i = 0; i < size; i++)
        {
            result[i] = (heapScores[i], heapItems[i]);
        }

        Array.Sort(result, (a, b) => Better(a.Score, a.Item, b.Score, b.Item) ? -1 : Better(b.Score, b.Item, a.Score, a.Item) ? 1 : 0);
        return result.Select(r => r.Item).ToArray();
    }

    private static bool Better(float scoreA, int itemA, float scoreB, int itemB) => scoreA > scoreB || (scoreA == scoreB && itemA < itemB);

    // Min-heap on "worse first", so the root is the weakest of the current top k.
    private static void SiftUp(float[] scores, int[] items, int at)
    {
        while (at > 0)
        {
            var parent = (at - 1) / 2;
            if (!Better(scores[parent], items[parent], scores[at], items[at]))
            {
                break;
            }

            Swap(scores, items, parent, at);
            at = parent;
        }
    }

    private static void SiftDown(float[] scores, int[] items, int size)
    {
        var at = 0;
        while (true)
        {
            var left = (2 * at) + 1;
            var right = left + 1;
            var worst = at;
            if (left < size && Better(scores[worst], items[worst], scores[left], items[left]))
            {
                worst = left;
            }

            if (right < size && Better(scores[worst], items[worst], scores[right], items[right]))
            {
                worst = right;
            }

            if (worst == at)
            {
                return;
            }

            Swap(scores, items, worst, at);
            at = worst;
        }
    }

    private static void Swap(float[] scores, int[] items, int a, int b)
    {
        (scores[a], scores[b]) = (scores[b], scores[a]);
        (items[a], items[b]) = (items[b], items[a]);
    }
}
