namespace FuncRec.Core.Evaluation;

/// <summary>Accumulates the errors of rating predictions: RMSE and MAE.</summary>
public sealed class RatingMetrics
{
    private double _squared;
    private double _absolute;

    public long Count { get; private set; }

    public double Rmse => Count == 0 ? double.NaN : Math.Sqrt(_squared / Count);

    public double Mae => Count == 0 ? double.NaN : _absolute / Count;

    public void Add(double predicted, double actual)
    {
        var error = predicted - actual;
        _squared += error * error;
        _absolute += Math.Abs(error);
        Count++;
    }

    public static (double Rmse, double Mae) Of(IReadOnlyList<double> predicted, IReadOnlyList<double> actual)
    {
        if (predicted.Count != actual.Count)
        {
            throw new ArgumentException("Predictions and actual values differ in length.", nameof(actual));
        }

        var metrics = new RatingMetrics();
        for (var i = 0; i < predicted.Count; i++)
        {
            metrics.Add(predicted[i], actual[i]);
        }

        return (metrics.Rmse, metrics.Mae);
    }
}
