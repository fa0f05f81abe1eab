using FuncRec.Core.Evaluation;
using FuncRec.Core.Training;

namespace FuncRec.Core.UnitTests.Evaluation;

public sealed class EvaluationsTests(EvaluationWorld fixture) : IClassFixture<EvaluationWorld>
{
    [Fact]
    public void Rating_reports_the_errors_of_the_scorer_predictions_over_every_test_event()
    {
        var report = Evaluations.Rating(fixture.RatingScorer, fixture.RatingTest);

        var (rmse, mae) = RatingMetrics.Of(
            fixture.RatingTest.Select(t => (double)fixture.RatingScorer.Predict(t.User, t.Item)).ToArray(),
            fixture.RatingTest.Select(t => (double)t.Value).ToArray());
        Assert.Equal(fixture.RatingTest.Length, report.Count);
        Assert.Equal(rmse, report.Rmse, 1e-9);
        Assert.Equal(mae, report.Mae, 1e-9);
    }

    [Fact]
    public void Rating_errors_are_finite_and_within_the_rating_range()
    {
        var report = Evaluations.Rating(fixture.RatingScorer, fixture.RatingTest);

        Assert.True(double.IsFinite(report.Rmse));
        Assert.InRange(report.Mae, 0, report.Rmse);
        Assert.InRange(report.Rmse, 0, 4);
    }

    [Fact]
    public void Rating_of_an_empty_test_set_is_NaN()
    {
        var report = Evaluations.Rating(fixture.RatingScorer, []);

        Assert.Equal(0, report.Count);
        Assert.True(double.IsNaN(report.Rmse));
    }

    [Fact]
    public void Ranking_counts_every_user_with_test_items_and_keeps_metrics_in_unit_range()
    {
        var report = Evaluations.Ranking(fixture.RankingScorer, fixture.ImplicitTrain, fixture.ImplicitTest, k: 10);

        Assert.Equal(10, report.K);
        Assert.Equal(fixture.ImplicitTest.Select(t => t.User).Distinct().Count(), report.Users);
        Assert.All(
            [report.Precision, report.Recall, report.F1, report.Ndcg, report.Map, report.Coverage],
            value => Assert.InRange(value, 0, 1));
        Assert.True(report.Precision > 0, "a model trained on the world should hit some test items");
    }

    [Fact]
    public void Ranking_does_not_depend_on_the_thread_count()
    {
        var single = Evaluations.Ranking(fixture.RankingScorer, fixture.ImplicitTrain, fixture.ImplicitTest, k: 5, threads: 1);
        var parallel = Evaluations.Ranking(fixture.RankingScorer, fixture.ImplicitTrain, fixture.ImplicitTest, k: 5, threads: 4);

        Assert.Equal(single, parallel);
    }

    [Fact]
    public void Ranking_rejects_k_below_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Evaluations.Ranking(fixture.RankingScorer, fixture.ImplicitTrain, fixture.ImplicitTest, k: 0));
    }

    [Fact]
    public void ColdStartItemAuc_averages_over_users_with_both_held_out_positives_and_negatives()
    {
        var held = DataSplits.HoldOut(fixture.World.Items.Count, 0.2, seed: 9);

        var (auc, users) = Evaluations.ColdStartItemAuc(fixture.RankingScorer, held, fixture.World.Events);

        var expectedUsers = fixture.World.Events.Where(e => held.Contains(e.Item)).GroupBy(e => e.User)
            .Count(g => g.Select(e => e.Item).Distinct().Count() < held.Count);
        Assert.Equal(expectedUsers, users);
        Assert.InRange(auc, 0, 1);
    }

    [Fact]
    public void ColdStartItemAuc_is_NaN_without_users()
    {
        var (auc, users) = Evaluations.ColdStartItemAuc(fixture.RankingScorer, [0, 1], []);

        Assert.Equal(0, users);
        Assert.True(double.IsNaN(auc));
    }

    [Fact]
    public void Prequential_predicts_every_event_of_the_stream_with_finite_error()
    {
        var options = new TrainerOptions { Rank = 8, Seed = 1 };
        var model = new RecommenderTrainer(options).Fit(fixture.Schema, new TrainingData(fixture.World.Users, fixture.World.Items, []));
        var learner = new OnlineLearner(model, fixture.World.Users, fixture.World.Items, options);
        var stream = DataSplits.SortByTime(fixture.World.Events).Take(2000).ToArray();

        var report = Evaluations.Prequential(learner, stream);

        Assert.Equal(stream.Length, report.Events);
        Assert.True(double.IsFinite(report.Rmse));
        Assert.InRange(report.Mae, 0, report.Rmse);
        Assert.True(report.Seconds >= 0);
        Assert.True(report.EventsPerSecond > 0);
    }
}
