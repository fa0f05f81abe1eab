namespace FuncRec.Core.Serving;

/// <summary>
/// Adaptive online learning rate by periodic evaluation: every user's online state is learned in parallel
/// under a few learning rates (base × multipliers), each candidate's prediction is scored before every update
/// (prequential error), and the candidate with the lowest recent error (an exponential moving average, so the
/// choice follows drift) is the one served and reported. Thread-safe; one grid per process.
/// </summary>
public sealed class LearningRateGrid
{
    private readonly double[] _errors;
    private readonly double _decay;
    private readonly Lock _lock = new();
    private long _observations;

    public LearningRateGrid(float baseRate, IReadOnlyList<float>? multipliers = null, int halfLife = 500)
    {
        if (!float.IsFinite(baseRate) || baseRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(baseRate), "The base learning rate must be finite and positive.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(halfLife, 1);
        var factors = multipliers ?? [0.25f, 0.5f, 1f, 2f, 4f];
        if (factors.Count == 0 || factors.Any(m => !float.IsFinite(m) || m <= 0))
        {
            throw new ArgumentException("Multipliers must be finite and positive.", nameof(multipliers));
        }

        Rates = factors.Select(m => baseRate * m).ToArray();
        _errors = new double[Rates.Count];
        _decay = Math.Pow(0.5, 1.0 / halfLife);
        Best = Rates.Count / 2;
    }

    /// <summary>A grid with one candidate: the fixed-rate case.</summary>
    public static LearningRateGrid Fixed(float rate) => new(rate, [1f]);

    public IReadOnlyList<float> Rates { get; }

    public int Candidates => Rates.Count;

    /// <summary>The candidate served now.</summary>
    public int Best { get; private set; }

    public float BestRate => Rates[Best];

    public long Observations => Interlocked.Read(ref _observations);

    /// <summary>Recent (decayed) mean error of each candidate.</summary>
    public double[] RecentErrors()
    {
        lock (_lock)
        {
            return _errors.ToArray();
        }
    }

    /// <summary>Records each candidate's error on one event (predicted before learning it) and re-picks the best.</summary>
    public void Observe(ReadOnlySpan<double> errors)
    {
        if (errors.Length != _errors.Length)
        {
            throw new ArgumentException($"Expected {_errors.Length} errors.", nameof(errors));
        }

        lock (_lock)
        {
            var best = 0;
            for (var c = 0; c < _errors.Length; c++)
            {
                if (double.IsFinite(errors[c]))
                {
                    _errors[c] = (_decay * _errors[c]) + ((1 - _decay) * errors[c]);
                }

                if (_errors[c] < _errors[best])
                {
                    best = c;
                }
            }

            _observations++;
            Best = best;
        }
    }
}
