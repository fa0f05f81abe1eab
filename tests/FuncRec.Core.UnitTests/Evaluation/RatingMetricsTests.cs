using FuncRec.Core.Evaluation;

namespace FuncRec.Core.UnitTests.Evaluation;

public sealed class RatingMetricsTests
{
    [Fact]
    public void Of_computes_rmse_and_mae()
    {
        // Errors −1, 0, 2: RMSE = sqrt(5/3), MAE = 3/3.
        var (rmse, mae) = RatingMetrics.Of([3.0, 4.0, 5.0], [4.0, 4.0, 3.0]);

        Assert.Equal(Math.Sqrt(5.0 / 3), rmse, 1e-12);
        Assert.Equal(1.0, mae, 1e-12);
    }

    [Fact]
    public void Add_accumulates_the_same_errors_as_Of()
    {
        var metrics = new RatingMetrics();
        metrics.Add(3.5, 4);
        metrics.Add(2, 1);

        // Errors −0.5, 1: RMSE = sqrt(1.25/2), MAE = 0.75.
        Assert.Equal(2, metrics.Count);
        Assert.Equal(Math.Sqrt(1.25 / 2), metrics.Rmse, 1e-12);
        Assert.Equal(0.75, metrics.Mae, 1e-12);
    }

    [Fact]
    public void Empty_metrics_are_NaN()
    {
        var metrics = new RatingMetrics();
        var (rmse, mae) = RatingMetrics.Of([], []);

        Assert.Equal(0, metrics.Count);
        Assert.True(double.IsNaN(metrics.Rmse));
        Assert.True(double.IsNaN(metrics.Mae));
        Assert.True(double.IsNaN(rmse));
        Assert.True(double.IsNaN(mae));
    }

    [Fact]
    public void Of_rejects_lists_of_different_lengths()
    {
        Assert.Throws<ArgumentException>(() => RatingMetrics.Of([1.0, 2.0], [1.0]));
    }
}
