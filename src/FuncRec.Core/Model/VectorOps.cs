using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FuncRec.Core.Model;

/// <summary>
/// The few dense-vector loops the trainers run millions of times, written for short vectors (k = 8…256):
/// calling a general library routine per row costs more than the arithmetic at these sizes.
/// </summary>
internal static class VectorOps
{
    /// <summary>destination += scale · source.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(Span<float> destination, ReadOnlySpan<float> source, float scale)
    {
        var n = destination.Length;
        if (source.Length < n)
        {
            ThrowLength();
        }

        ref var d = ref MemoryMarshal.GetReference(destination);
        ref var s = ref MemoryMarshal.GetReference(source);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vScale = new Vector<float>(scale);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var sum = Vector.LoadUnsafe(ref d, (nuint)i) + (vScale * Vector.LoadUnsafe(ref s, (nuint)i));
                sum.StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) += scale * Unsafe.Add(ref s, i);
        }
    }

    /// <summary>destination = scale · source.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(Span<float> destination, ReadOnlySpan<float> source, float scale)
    {
        var n = destination.Length;
        if (source.Length < n)
        {
            ThrowLength();
        }

        ref var d = ref MemoryMarshal.GetReference(destination);
        ref var s = ref MemoryMarshal.GetReference(source);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vScale = new Vector<float>(scale);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                (vScale * Vector.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) = scale * Unsafe.Add(ref s, i);
        }
    }

    /// <summary>destination = scale · (a − b).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaledDifference(Span<float> destination, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float scale)
    {
        var n = destination.Length;
        if (a.Length < n || b.Length < n)
        {
            ThrowLength();
        }

        ref var d = ref MemoryMarshal.GetReference(destination);
        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vScale = new Vector<float>(scale);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                (vScale * (Vector.LoadUnsafe(ref x, (nuint)i) - Vector.LoadUnsafe(ref y, (nuint)i))).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) = scale * (Unsafe.Add(ref x, i) - Unsafe.Add(ref y, i));
        }
    }

    /// <summary>destination += source.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(Span<float> destination, ReadOnlySpan<float> source)
    {
        var n = destination.Length;
        if (source.Length < n)
        {
            ThrowLength();
        }

        ref var d = ref MemoryMarshal.GetReference(destination);
        ref var s = ref MemoryMarshal.GetReference(source);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                (Vector.LoadUnsafe(ref d, (nuint)i) + Vector.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) += Unsafe.Add(ref s, i);
        }
    }

    /// <summary>Σ a_i b_i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var n = a.Length;
        if (b.Length < n)
        {
            ThrowLength();
        }

        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        var i = 0;
        var sum = 0f;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                acc += Vector.LoadUnsafe(ref x, (nuint)i) * Vector.LoadUnsafe(ref y, (nuint)i);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref x, i) * Unsafe.Add(ref y, i);
        }

        return sum;
    }

    /// <summary>
    /// One AdaGrad step on a row: g = scale·direction + l2·w (+ anchorL2·(w − anchor) when an anchor is given);
    /// accumulator += mean(g²); w −= lr/√accumulator · g. Returns the new accumulator (non-finite when the step diverged).
    /// </summary>
    public static float AdaGradStep(Span<float> weights, ReadOnlySpan<float> direction, float scale, float l2, ReadOnlySpan<float> anchor, float anchorL2, float accumulator, float learningRate, Span<float> scratch)
    {
        var n = weights.Length;
        if (direction.Length < n || scratch.Length < n || (!anchor.IsEmpty && anchor.Length < n))
        {
            ThrowLength();
        }

        ref var w = ref MemoryMarshal.GetReference(weights);
        ref var d = ref MemoryMarshal.GetReference(direction);
        ref var g = ref MemoryMarshal.GetReference(scratch);
        var hasAnchor = !anchor.IsEmpty && anchorL2 > 0f;
        ref var a = ref MemoryMarshal.GetReference(anchor);
        var squares = 0f;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vScale = new Vector<float>(scale);
            var vL2 = new Vector<float>(l2);
            var vSquares = Vector<float>.Zero;
            if (hasAnchor)
            {
                var vAnchor = new Vector<float>(anchorL2);
                for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var wi = Vector.LoadUnsafe(ref w, (nuint)i);
                    var gi = (vScale * Vector.LoadUnsafe(ref d, (nuint)i)) + (vL2 * wi) + (vAnchor * (wi - Vector.LoadUnsafe(ref a, (nuint)i)));
                    gi.StoreUnsafe(ref g, (nuint)i);
                    vSquares += gi * gi;
                }
            }
            else
            {
                for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var gi = (vScale * Vector.LoadUnsafe(ref d, (nuint)i)) + (vL2 * Vector.LoadUnsafe(ref w, (nuint)i));
                    gi.StoreUnsafe(ref g, (nuint)i);
                    vSquares += gi * gi;
                }
            }

            squares = Vector.Sum(vSquares);
        }

        for (; i < n; i++)
        {
            var wi = Unsafe.Add(ref w, i);
            var gi = (scale * Unsafe.Add(ref d, i)) + (l2 * wi);
            if (hasAnchor)
            {
                gi += anchorL2 * (wi - Unsafe.Add(ref a, i));
            }

            Unsafe.Add(ref g, i) = gi;
            squares += gi * gi;
        }

        accumulator += squares / n;
        var step = learningRate / MathF.Sqrt(accumulator);
        if (!float.IsFinite(step))
        {
            return float.NaN;
        }

        AddScaled(weights, scratch, -step);
        return accumulator;
    }

    /// <summary>
    /// One AdaGrad step for a row whose gradient was summed over <paramref name="events"/> events (deferred
    /// updates): g = scale·direction + events·(l2·w + anchorL2·(w − anchor)); the step size is the one at the start of
    /// the block and the accumulator then grows by the mean squares the events would have added one by one
    /// (<paramref name="meanSquares"/>), so a deferred step moves the row as far as the individual steps would have. Returns the new accumulator (NaN when it diverged).
    /// </summary>
    public static float DeferredAdaGradStep(Span<float> weights, ReadOnlySpan<float> direction, float scale, float l2, ReadOnlySpan<float> anchor, float anchorL2, int events, float meanSquares, float accumulator, float learningRate, Span<float> scratch)
    {
        var n = weights.Length;
        if (direction.Length < n || scratch.Length < n || (!anchor.IsEmpty && anchor.Length < n))
        {
            ThrowLength();
        }

        var hasAnchor = !anchor.IsEmpty && anchorL2 > 0f;
        var decay = events * l2;
        var pull = hasAnchor ? events * anchorL2 : 0f;
        ref var w = ref MemoryMarshal.GetReference(weights);
        ref var d = ref MemoryMarshal.GetReference(direction);
        ref var g = ref MemoryMarshal.GetReference(scratch);
        ref var a = ref MemoryMarshal.GetReference(anchor);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vScale = new Vector<float>(scale);
            var vDecay = new Vector<float>(decay);
            var vPull = new Vector<float>(pull);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var wi = Vector.LoadUnsafe(ref w, (nuint)i);
                var gi = (vScale * Vector.LoadUnsafe(ref d, (nuint)i)) + (vDecay * wi);
                if (hasAnchor)
                {
                    gi += vPull * (wi - Vector.LoadUnsafe(ref a, (nuint)i));
                }

                gi.StoreUnsafe(ref g, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var wi = Unsafe.Add(ref w, i);
            var gi = (scale * Unsafe.Add(ref d, i)) + (decay * wi);
            if (hasAnchor)
            {
                gi += pull * (wi - Unsafe.Add(ref a, i));
            }

            Unsafe.Add(ref g, i) = gi;
        }

        // The step uses the accumulator from before the block, the rate the block's running view of the user
        // vector assumed (see SgdKernel); the block's squares count from the next step on.
        var step = learningRate / MathF.Sqrt(accumulator);
        accumulator += meanSquares;
        if (!float.IsFinite(step) || !float.IsFinite(accumulator))
        {
            return float.NaN;
        }

        AddScaled(weights, scratch, -step);
        return accumulator;
    }

    private static void ThrowLength() => throw new ArgumentException("Vector lengths differ.");
}
