using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Training;

namespace FuncRec.Serving.UnitTests;

public sealed class OnnxScorerTests
{
    private const float Tolerance = 1e-4f;

    public static TheoryData<int, int, LossKind, bool> RandomModels => new()
    {
        { 1, 8, LossKind.Squared, false },
        { 2, 16, LossKind.Bpr, false },
        { 3, 32, LossKind.Logistic, true },
        { 4, 24, LossKind.Squared, true },
    };

    [Theory]
    [MemberData(nameof(RandomModels))]
    public void Candidate_scores_equal_the_CSharp_model(int seed, int rank, LossKind loss, bool smallSchema)
    {
        var world = RandomWorld.Create(seed, rank, loss, smallSchema ? RandomWorld.SmallSchema : null);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model);

        for (var trial = 0; trial < 20; trial++)
        {
            var user = world.RandomRequestUser();
            var online = trial % 3 == 0 ? Array.Empty<float>() : world.RandomOnlineVector();
            var onlineBias = trial % 3 == 0 ? 0f : world.RandomOnlineBias();
            var candidates = Enumerable.Range(0, 1 + world.Next(30)).Select(_ => world.Next(catalog.Count)).ToArray();

            var scores = scorer.ScoreCandidates(user, online, onlineBias, catalog, candidates);

            var reference = world.ReferenceScores(user, online, onlineBias, world.Items.Profiles);
            for (var i = 0; i < candidates.Length; i++)
            {
                Assert.Equal(reference[candidates[i]], scores[i], Tolerance);
            }
        }
    }

    [Theory]
    [MemberData(nameof(RandomModels))]
    public void Top_k_equals_the_CSharp_ranking(int seed, int rank, LossKind loss, bool smallSchema)
    {
        var world = RandomWorld.Create(seed, rank, loss, smallSchema ? RandomWorld.SmallSchema : null);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model);

        for (var trial = 0; trial < 20; trial++)
        {
            var user = world.RandomRequestUser();
            var online = world.RandomOnlineVector();
            var onlineBias = world.RandomOnlineBias();
            var k = 1 + world.Next(20);

            var top = scorer.TopK(user, online, onlineBias, catalog, k);

            var reference = world.ReferenceScores(user, online, onlineBias, world.Items.Profiles);
            AssertIsTopK(reference, top, k, excluded: []);
        }
    }

    [Fact]
    public void A_user_with_more_rows_than_the_bound_inputs_hold_and_then_a_short_one_both_score_exactly()
    {
        // The scorer binds the user's rows once at a padded length and reuses them: a long user must grow them,
        // and the next, shorter user must not inherit the long one's extra rows.
        var world = RandomWorld.Create(5, 16, LossKind.Bpr, null);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model);
        var rows = world.Model.UserTable.Rows;
        var longUser = new FeatureVector();
        for (var i = 0; i < 150; i++)
        {
            longUser.Add(world.Next(rows), 0.05f);
        }

        var shortUser = world.RandomRequestUser();
        var candidates = Enumerable.Range(0, catalog.Count).ToArray();

        foreach (var user in new[] { shortUser, longUser, shortUser })
        {
            var scores = scorer.ScoreCandidates(user, [], 0f, catalog, candidates);
            var top = scorer.TopK(user, [], 0f, catalog, 5);

            var reference = world.ReferenceScores(user, [], 0f, world.Items.Profiles);
            for (var i = 0; i < candidates.Length; i++)
            {
                Assert.Equal(reference[i], scores[i], Tolerance);
            }

            AssertIsTopK(reference, top, 5, excluded: []);
        }
    }

    [Fact]
    public void Rows_outside_the_exported_table_count_for_nothing()
    {
        var world = RandomWorld.Create(5, 16);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model);
        var user = world.RandomRequestUser();
        var withStrayRows = new FeatureVector();
        withStrayRows.AddRange(user);
        withStrayRows.Add(world.Model.UserTable.Rows + 7, 1f);
        withStrayRows.Add(-3, 1f);
        int[] candidates = [0, 1, 2];

        var scores = scorer.ScoreCandidates(withStrayRows, [], 0f, catalog, candidates);

        var reference = world.ReferenceScores(user, [], 0f, world.Items.Profiles);
        Assert.Equal(candidates.Select(c => reference[c]), scores, (a, b) => Math.Abs(a - b) <= Tolerance);
    }

    [Fact]
    public void A_user_without_features_scores_from_the_online_state_alone()
    {
        var world = RandomWorld.Create(6, 8);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model);
        var nobody = new FeatureVector();
        var online = world.RandomOnlineVector(1f);

        var top = scorer.TopK(nobody, online, 0.5f, catalog, 5);

        AssertIsTopK(world.ReferenceScores(nobody, online, 0.5f, world.Items.Profiles), top, 5, excluded: []);
    }

    [Fact]
    public void Top_k_never_returns_an_excluded_item()
    {
        var world = RandomWorld.Create(7, 16);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model);
        var user = world.RandomRequestUser();
        var online = world.RandomOnlineVector();
        var best = scorer.TopK(user, online, 0f, catalog, 5);
        var excluded = best.Take(3).Select(item => item.Index).Append(-1).Append(catalog.Count + 10).ToArray();

        var top = scorer.TopK(user, online, 0f, catalog, 5, excluded);

        Assert.Equal(5, top.Length);
        Assert.DoesNotContain(top, item => excluded.Contains(item.Index));
        Assert.Equal(best.Skip(3).Select(item => item.Index), top.Take(2).Select(item => item.Index));
        AssertIsTopK(world.ReferenceScores(user, online, 0f, world.Items.Profiles), top, 5, excluded);
    }

    [Fact]
    public void Top_k_returns_only_the_items_left_when_k_exceeds_them()
    {
        var world = RandomWorld.Create(8, 8, items: 30);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model);
        var user = world.RandomRequestUser();
        var reference = world.ReferenceScores(user, [], 0f, world.Items.Profiles);

        var all = scorer.TopK(user, [], 0f, catalog, 1000);
        var allButTwo = Enumerable.Range(2, catalog.Count - 2).ToArray();
        var two = scorer.TopK(user, [], 0f, catalog, 10, allButTwo);
        var none = scorer.TopK(user, [], 0f, catalog, 10, Enumerable.Range(0, catalog.Count).ToArray());

        Assert.Equal(30, all.Length);
        AssertIsTopK(reference, all, 1000, excluded: []);
        Assert.Equal([0, 1], two.Select(item => item.Index).Order());
        Assert.Empty(none);
    }

    [Fact]
    public void Top_k_within_a_category_returns_only_its_items()
    {
        var world = RandomWorld.Create(9, 16);
        var catalog = world.BuildCatalog(new ItemCatalogOptions { CategoryField = "category" }).Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model);
        var user = world.RandomRequestUser();
        var members = catalog.ItemsInCategory("cat2");
        var outside = Enumerable.Range(0, catalog.Count).Except(members).ToArray();
        var excluded = new[] { members[0] };

        var top = scorer.TopK(user, [], 0f, catalog, 4, excluded, category: "cat2");

        Assert.NotEmpty(members);
        Assert.All(top, item => Assert.Equal("cat2", world.Items[item.Index].Fields["category"].Text));
        AssertIsTopK(world.ReferenceScores(user, [], 0f, world.Items.Profiles), top, 4, outside.Concat(excluded).ToArray());
    }

    [Fact]
    public void Results_are_the_same_from_concurrent_callers()
    {
        var world = RandomWorld.Create(10, 16, items: 500);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model, new OnnxScorerOptions { MaxIdleContexts = 2 });
        var requests = Enumerable.Range(0, 64).Select(_ => (
            User: world.RandomRequestUser(),
            Online: world.RandomOnlineVector(),
            Candidates: Enumerable.Range(0, 1 + world.Next(50)).Select(_ => world.Next(catalog.Count)).ToArray(),
            Excluded: Enumerable.Range(0, world.Next(20)).Select(_ => world.Next(catalog.Count)).ToArray(),
            K: 1 + world.Next(40))).ToArray();
        var expected = requests.Select(r => (
            Scores: scorer.ScoreCandidates(r.User, r.Online, 0.1f, catalog, r.Candidates),
            Top: scorer.TopK(r.User, r.Online, 0.1f, catalog, r.K, r.Excluded))).ToArray();

        var failures = 0;
        Parallel.For(0, 6, new ParallelOptions { MaxDegreeOfParallelism = 6 }, thread =>
        {
            for (var round = 0; round < 40; round++)
            {
                var i = ((thread * 41) + (round * 7)) % requests.Length;
                var r = requests[i];
                var scores = scorer.ScoreCandidates(r.User, r.Online, 0.1f, catalog, r.Candidates);
                var top = scorer.TopK(r.User, r.Online, 0.1f, catalog, r.K, r.Excluded);
                if (!scores.SequenceEqual(expected[i].Scores) || !top.SequenceEqual(expected[i].Top))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });

        Assert.Equal(0, failures);
    }

    [Fact]
    public async Task Async_calls_that_meet_are_scored_in_shared_runs_with_each_users_own_result()
    {
        var world = RandomWorld.Create(13, 16, items: 2000);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model, new OnnxScorerOptions { ConcurrentRuns = 1, MaxBatchSize = 12 });
        var requests = Enumerable.Range(0, 48).Select(i => (
            User: world.RandomRequestUser(),
            Online: world.RandomOnlineVector(),
            // Two users with only items 0–2 left: one asking for 10 (the batch's k), one for 5.
            Excluded: i is 6 or 7 ? Enumerable.Range(3, catalog.Count - 3).ToArray() : Enumerable.Range(0, world.Next(30)).Select(_ => world.Next(catalog.Count)).ToArray(),
            K: i % 3 == 0 ? 5 : 10)).ToArray();
        var expected = requests.Select(r => scorer.TopK(r.User, r.Online, 0.1f, catalog, r.K, r.Excluded)).ToArray();

        Task<ScoredItem[]>[] calls;
        using (scorer.HoldRuns())
        {
            calls = requests.Select(r => scorer.TopKAsync(r.User, r.Online, 0.1f, catalog, r.K, r.Excluded)).ToArray();
            Assert.DoesNotContain(calls, call => call.IsCompleted);
        }

        var results = await Task.WhenAll(calls);

        Assert.Equal([0, 1, 2], results[7].Select(item => item.Index).Order());
        Assert.Equal([0, 1, 2], results[6].Select(item => item.Index).Order());
        for (var i = 0; i < requests.Length; i++)
        {
            // A batched run may sum in another order than a run of one: the same items, scores equal to rounding.
            Assert.Equal(expected[i].Select(item => item.Index), results[i].Select(item => item.Index));
            Assert.Equal(expected[i].Select(item => item.Score), results[i].Select(item => item.Score), (a, b) => Math.Abs(a - b) <= 1e-4f * Math.Max(1f, Math.Abs(a)));
        }

        // 16 calls with k = 5 and 32 with k = 10, mixed in batches of at most 12 (each run takes the largest k): 4
        // runs, where batches of one k would take 2 + 3.
        Assert.Equal(requests.Length, scorer.BatchedCalls);
        Assert.Equal(4, scorer.BatchedRuns);
    }

    [Fact]
    public async Task Concurrent_async_and_direct_calls_get_the_same_results()
    {
        var world = RandomWorld.Create(15, 16, items: 1000);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model, new OnnxScorerOptions { MaxBatchSize = 4 });
        var requests = Enumerable.Range(0, 32).Select(i => (
            User: world.RandomRequestUser(),
            Online: world.RandomOnlineVector(),
            Excluded: Enumerable.Range(0, world.Next(30)).Select(_ => world.Next(catalog.Count)).ToArray())).ToArray();
        var expected = requests.Select(r => scorer.TopK(r.User, r.Online, 0.1f, catalog, 10, r.Excluded)).ToArray();

        var mismatches = 0;
        await Parallel.ForAsync(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (round, _) =>
        {
            var results = await Task.WhenAll(requests.Select(r => scorer.TopKAsync(r.User, r.Online, 0.1f, catalog, 10, r.Excluded)));
            for (var i = 0; i < requests.Length; i++)
            {
                if (!results[i].Select(item => item.Index).SequenceEqual(expected[i].Select(item => item.Index)))
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        });

        Assert.Equal(0, mismatches);
        Assert.Equal(8 * requests.Length, scorer.BatchedCalls);
    }

    [Fact]
    public async Task Calls_waiting_when_the_scorer_is_disposed_are_still_answered()
    {
        var world = RandomWorld.Create(16, 8, items: 300);
        var catalog = world.BuildCatalog().Current;
        var scorer = new OnnxScorer(world.Export(), world.Model, new OnnxScorerOptions { ConcurrentRuns = 1 });
        var user = world.RandomRequestUser();
        var expected = scorer.TopK(user, [], 0f, catalog, 5);

        Task<ScoredItem[]>[] waiting;
        using (scorer.HoldRuns())
        {
            waiting = Enumerable.Range(0, 5).Select(_ => scorer.TopKAsync(user, ReadOnlyMemory<float>.Empty, 0f, catalog, 5)).ToArray();
            scorer.Dispose();
        }

        foreach (var result in await Task.WhenAll(waiting))
        {
            Assert.Equal(expected.Select(item => item.Index), result.Select(item => item.Index));
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(() => scorer.TopKAsync(user, ReadOnlyMemory<float>.Empty, 0f, catalog, 5));
    }

    [Fact]
    public async Task A_waiting_call_whose_caller_gives_up_leaves_the_queue_and_the_others_are_answered()
    {
        var world = RandomWorld.Create(18, 8, items: 300);
        var catalog = world.BuildCatalog().Current;
        var scorer = new OnnxScorer(world.Export(), world.Model, new OnnxScorerOptions { ConcurrentRuns = 1 });
        var user = world.RandomRequestUser();
        var expected = scorer.TopK(user, [], 0f, catalog, 5);
        using var givesUp = new CancellationTokenSource();
        using var alreadyGone = new CancellationTokenSource();
        await alreadyGone.CancelAsync();

        Task<ScoredItem[]> cancelled;
        Task<ScoredItem[]>[] others;
        using (scorer.HoldRuns())
        {
            others = [scorer.TopKAsync(user, ReadOnlyMemory<float>.Empty, 0f, catalog, 5), scorer.TopKAsync(user, ReadOnlyMemory<float>.Empty, 0f, catalog, 5, cancellationToken: CancellationToken.None)];
            cancelled = scorer.TopKAsync(user, ReadOnlyMemory<float>.Empty, 0f, catalog, 5, cancellationToken: givesUp.Token);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scorer.TopKAsync(user, ReadOnlyMemory<float>.Empty, 0f, catalog, 5, cancellationToken: alreadyGone.Token));
            await givesUp.CancelAsync();
            Assert.True(cancelled.IsCanceled);
        }

        foreach (var result in await Task.WhenAll(others))
        {
            Assert.Equal(expected.Select(item => item.Index), result.Select(item => item.Index));
        }

        // Only the two calls still waiting were scored; the withdrawn one no longer counts in flight, so disposing
        // frees the session at once and later calls are refused.
        Assert.Equal(2, scorer.BatchedCalls);
        scorer.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => scorer.TopKAsync(user, ReadOnlyMemory<float>.Empty, 0f, catalog, 5));
    }

    [Fact]
    public async Task A_call_already_answered_ignores_a_later_cancellation()
    {
        var world = RandomWorld.Create(19, 8, items: 300);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model, new OnnxScorerOptions { ConcurrentRuns = 1 });
        var user = world.RandomRequestUser();
        using var cancellation = new CancellationTokenSource();

        Task<ScoredItem[]> call;
        using (scorer.HoldRuns())
        {
            call = scorer.TopKAsync(user, ReadOnlyMemory<float>.Empty, 0f, catalog, 5, cancellationToken: cancellation.Token);
        }

        var result = await call;
        await cancellation.CancelAsync();

        Assert.Equal(5, result.Length);
        Assert.True(call.IsCompletedSuccessfully);
        Assert.Equal(1, scorer.BatchedCalls);
    }

    [Fact]
    public void An_older_graph_format_is_told_apart_from_other_mismatches()
    {
        var world = RandomWorld.Create(17, 8, items: 50);
        var exported = world.Export();
        var key = System.Text.Encoding.UTF8.GetBytes(Core.Onnx.OnnxScoringGraph.MetadataKeys.FormatVersion);
        byte[] entry = [.. key, 0x12, 0x01, (byte)('0' + Core.Onnx.OnnxScoringGraph.FormatVersion)];
        var at = exported.AsSpan().IndexOf(entry);
        var older = exported.ToArray();
        older[at + key.Length + 2] = (byte)('0' + Core.Onnx.OnnxScoringGraph.FormatVersion - 1);

        var fromOlder = Assert.Throws<IncompatibleOnnxModelException>(() => new OnnxScorer(older, world.Model));
        var fromGarbage = Assert.Throws<IncompatibleOnnxModelException>(() => new OnnxScorer([0x08, 0x01, 0x12, 0x00], world.Model));
        var fromOtherRank = Assert.Throws<IncompatibleOnnxModelException>(() => new OnnxScorer(RandomWorld.Create(17, 16, items: 50).Export(), world.Model));

        Assert.True(fromOlder.OlderFormat);
        Assert.False(fromGarbage.OlderFormat);
        Assert.False(fromOtherRank.OlderFormat);
    }

    [Fact]
    public async Task An_async_call_on_a_disposed_scorer_fails_and_a_call_for_nothing_answers_empty()
    {
        var world = RandomWorld.Create(14, 8, items: 50);
        var catalog = world.BuildCatalog().Current;
        var scorer = new OnnxScorer(world.Export(), world.Model);

        Assert.Empty(await scorer.TopKAsync(world.RandomRequestUser(), ReadOnlyMemory<float>.Empty, 0f, catalog, 0));
        scorer.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => scorer.TopKAsync(world.RandomRequestUser(), ReadOnlyMemory<float>.Empty, 0f, catalog, 5));
    }

    [Fact]
    public void A_model_with_another_schema_is_refused()
    {
        var exported = RandomWorld.Create(11, 16).Export();
        var other = RandomWorld.Create(12, 16, schema: RandomWorld.SmallSchema, interactions: 200);

        var error = Assert.Throws<IncompatibleOnnxModelException>(() => new OnnxScorer(exported, other.Model));

        Assert.Contains("schema", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_of_another_rank_is_refused()
    {
        var exported = RandomWorld.Create(13, 16).Export();
        var other = RandomWorld.Create(13, 8, interactions: 200);

        var error = Assert.Throws<IncompatibleOnnxModelException>(() => new OnnxScorer(exported, other.Model));

        Assert.Contains("rank", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_that_are_not_an_onnx_model_are_refused()
    {
        var world = RandomWorld.Create(14, 8, interactions: 200);

        Assert.Throws<IncompatibleOnnxModelException>(() => new OnnxScorer([1, 2, 3, 4], world.Model));
    }

    [Fact]
    public void A_catalog_of_another_model_is_refused()
    {
        var world = RandomWorld.Create(15, 8, interactions: 200);
        var twin = RandomWorld.Create(15, 8, interactions: 200);
        using var scorer = new OnnxScorer(world.Export(), world.Model);

        Assert.Throws<ArgumentException>(() => scorer.TopK(new FeatureVector(), [], 0f, twin.BuildCatalog().Current, 3));
    }

    [Fact]
    public void Bad_arguments_are_clear_errors()
    {
        var world = RandomWorld.Create(16, 8, interactions: 200);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model);
        var user = new FeatureVector();

        Assert.Throws<ArgumentOutOfRangeException>(() => scorer.ScoreCandidates(user, [], 0f, catalog, [catalog.Count]));
        Assert.Throws<ArgumentOutOfRangeException>(() => scorer.ScoreCandidates(user, [], 0f, catalog, [-1]));
        Assert.Throws<ArgumentException>(() => scorer.ScoreCandidates(user, new float[3], 0f, catalog, [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => scorer.TopK(user, [], 0f, catalog, -1));
        Assert.Empty(scorer.TopK(user, [], 0f, catalog, 0));
        Assert.Empty(scorer.ScoreCandidates(user, [], 0f, catalog, []));
    }

    [Fact]
    public void A_disposed_scorer_refuses_calls()
    {
        var world = RandomWorld.Create(17, 8, interactions: 200);
        var catalog = world.BuildCatalog().Current;
        var scorer = new OnnxScorer(world.Export(), world.Model);
        Assert.NotEmpty(scorer.TopK(new FeatureVector(), [], 0f, catalog, 3));

        scorer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => scorer.TopK(new FeatureVector(), [], 0f, catalog, 3));
    }

    [Fact]
    public void Scores_are_raw_and_the_rating_range_travels_for_callers_to_clip()
    {
        var world = RandomWorld.Create(18, 8);
        using var scorer = new OnnxScorer(world.Export(), world.Model);

        Assert.Equal(LossKind.Squared, scorer.Info.Loss);
        Assert.Equal(world.Model.MinValue, scorer.Info.MinValue);
        Assert.Equal(world.Model.MaxValue, scorer.Info.MaxValue);
    }

    /// <summary>
    /// <paramref name="top"/> is a valid top-k of <paramref name="reference"/> without <paramref name="excluded"/>:
    /// each score matches the reference for its item, scores descend, and no left-out item beats the last one.
    /// Near-ties may come in either order.
    /// </summary>
    internal static void AssertIsTopK(float[] reference, ScoredItem[] top, int k, int[] excluded)
    {
        var eligible = Enumerable.Range(0, reference.Length).Except(excluded).ToArray();
        Assert.Equal(Math.Min(k, eligible.Length), top.Length);
        Assert.Equal(top.Length, top.Select(item => item.Index).Distinct().Count());
        for (var i = 0; i < top.Length; i++)
        {
            Assert.Contains(top[i].Index, eligible);
            Assert.Equal(reference[top[i].Index], top[i].Score, Tolerance);
            if (i > 0)
            {
                Assert.True(top[i].Score <= top[i - 1].Score, "Top-k scores must descend.");
            }
        }

        if (top.Length > 0)
        {
            var chosen = top.Select(item => item.Index).ToHashSet();
            var bestLeftOut = eligible.Where(index => !chosen.Contains(index)).Select(index => reference[index]).DefaultIfEmpty(float.NegativeInfinity).Max();
            Assert.True(bestLeftOut <= top[^1].Score + Tolerance, $"An item scoring {bestLeftOut} was left out of a top-k ending at {top[^1].Score}.");
        }
    }
}
