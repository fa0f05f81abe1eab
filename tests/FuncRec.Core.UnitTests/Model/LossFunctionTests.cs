using FuncRec.Core.Model;

namespace FuncRec.Core.UnitTests.Model;

public sealed class LossFunctionTests
{
    [Theory]
    [InlineData(LossKind.Squared, 0.7f, 4f)]
    [InlineData(LossKind.Squared, 4.6f, 2f)]
    [InlineData(LossKind.Logistic, 0.8f, 1f)]
    [InlineData(LossKind.Logistic, -1.3f, 0f)]
    [InlineData(LossKind.Logistic, 2.5f, 0f)]
    public void Pointwise_derivative_matches_finite_differences(LossKind loss, float score, float target)
    {
        const float h = 1e-3f;
        LossFunctions.Pointwise(loss, score + h, target, out var up);
        LossFunctions.Pointwise(loss, score - h, target, out var down);
        var analytic = LossFunctions.Pointwise(loss, score, target, out _);
        Assert.Equal((up - down) / (2 * h), analytic, 3);
    }

    [Theory]
    [InlineData(-2f)]
    [InlineData(0f)]
    [InlineData(0.6f)]
    [InlineData(3f)]
    public void Bpr_derivative_matches_finite_differences(float difference)
    {
        const float h = 1e-3f;
        LossFunctions.Bpr(difference + h, out var up);
        LossFunctions.Bpr(difference - h, out var down);
        Assert.Equal((up - down) / (2 * h), LossFunctions.Bpr(difference, out _), 3);
    }

    [Fact]
    public void Bpr_loss_falls_as_the_positive_pulls_ahead()
    {
        LossFunctions.Bpr(-1f, out var behind);
        LossFunctions.Bpr(1f, out var ahead);
        Assert.True(ahead < behind);
        Assert.Equal(Math.Log(2), LossFunctions.Bpr(0f, out var even) is var _ ? even : 0, 6);
    }

    [Theory]
    [InlineData(1000, 1, 6.9068)]
    [InlineData(1000, 10, 4.5951)]
    [InlineData(2, 1, 0.1)]
    public void Warp_rank_weight_is_log_of_the_estimated_rank(int items, int trials, double expected)
        => Assert.Equal(expected, LossFunctions.WarpRankWeight(items, trials), 3);

    [Fact]
    public void Softplus_does_not_overflow()
    {
        Assert.Equal(1000, LossFunctions.Softplus(1000));
        Assert.Equal(Math.Log(2), LossFunctions.Softplus(0), 12);
    }
}
