namespace FuncRec.Core.Drift;

/// <summary>Settings of the Page–Hinkley test.</summary>
public sealed record PageHinkleyOptions
{
    /// <summary>Tolerated rise of the mean before it counts as change (in units of the observed values).</summary>
    public double Delta { get; init; } = 0.01;

    /// <summary>Alarm threshold λ on the cumulative deviation; larger means fewer and later alarms.</summary>
    public double Threshold { get; init; } = 40;

    /// <summary>Observations before an alarm may fire (the mean must settle first).</summary>
    public int MinSamples { get; init; } = 300;

    /// <summary>Weight of history in the running mean (1 = plain mean; below 1 forgets slowly).</summary>
    public double Forgetting { get; init; } = 0.9995;

    public void Validate()
    {
        if (!double.IsFinite(Delta) || Delta < 0)
        {
            throw new ArgumentException("Delta must be finite and not negative.", nameof(Delta));
        }

        if (!double.IsFinite(Threshold) || Threshold <= 0)
        {
            throw new ArgumentException("Threshold must be finite and positive.", nameof(Threshold));
        }

        if (MinSamples < 1)
        {
            throw new ArgumentException("MinSamples must be at least 1.", nameof(MinSamples));
        }

        if (!double.IsFinite(Forgetting) || Forgetting is <= 0 or > 1)
        {
            throw new ArgumentException("Forgetting must be in (0, 1].", nameof(Forgetting));
        }
    }
}

/// <summary>
/// Page–Hinkley change detection on a stream of losses (e.g. the prequential absolute error): it accumulates
/// how far each observation sits above the running mean (minus a tolerance) and fires when that sum rises more
/// than the threshold above its lowest point, i.e. when the error has gone up and stayed up. After an alarm it
/// starts afresh. Falling error (a model that keeps learning) never fires it.
/// </summary>
public sealed class PageHinkleyDetector
{
    private readonly PageHinkleyOptions _options;
    private double _mean;
    private double _weight;
    private double _cumulative;
    private double _minimum;
    private long _samples;

    public PageHinkleyDetector(PageHinkleyOptions? options = null)
    {
        _options = options ?? new PageHinkleyOptions();
        _options.Validate();
    }

    /// <summary>Observations since the last reset.</summary>
    public long Samples => _samples;

    /// <summary>The statistic compared with the threshold (cumulative sum above its minimum).</summary>
    public double Statistic => _cumulative - _minimum;

    /// <summary>Adds an observation; returns true when it signals a change (the detector then resets).</summary>
    public bool Add(double value)
    {
        if (!double.IsFinite(value))
        {
            return false;
        }

        _samples++;
        _weight = (_options.Forgetting * _weight) + 1;
        _mean += (value - _mean) / _weight;
        _cumulative += value - _mean - _options.Delta;
        _minimum = Math.Min(_minimum, _cumulative);
        if (_samples >= _options.MinSamples && Statistic > _options.Threshold)
        {
            Reset();
            return true;
        }

        return false;
    }

    public void Reset()
    {
        _mean = 0;
        _weight = 0;
        _cumulative = 0;
        _minimum = 0;
        _samples = 0;
    }
}
