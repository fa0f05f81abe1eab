using FuncRec.Application.Contracts;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// The hash index of a user's applied event ids, carried from one version of the document to the next: wherever an
/// id is looked up, the answer must be the list's own last index of it.
/// </summary>
public sealed class AppliedIdIndexTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Lookups_through_indexes_carried_over_many_windows_equal_the_lists_own(int seed)
    {
        var random = new Random(seed);
        var document = new UserDocument { Id = "u" };
        var issued = new List<string>();
        for (var batch = 0; batch < 300; batch++)
        {
            // Fresh ids, some repeated (a re-posted event), now and then more than the window holds at once.
            var added = Enumerable.Range(0, random.Next(4) == 0 ? 250 : 1 + random.Next(5))
                .Select(_ => issued.Count > 0 && random.Next(8) == 0 ? issued[random.Next(issued.Count)] : $"e{issued.Count}-{random.Next(1000)}")
                .ToArray();
            issued.AddRange(added);
            var keep = 200;
            var kept = added.Length > keep ? added[^keep..] : added;
            var window = document.AppliedEventIds.TakeLast(keep - kept.Length).Concat(kept).ToList();
            var index = AppliedIdIndex.Of(document).Then(window, kept);
            document = document with { AppliedEventIds = window, IdIndex = index };

            foreach (var probe in issued.TakeLast(300).Append("never-issued"))
            {
                Assert.Equal(window.LastIndexOf(probe), AppliedIdIndex.Of(document).LastIndexOf(probe));
            }

            Assert.Same(index, AppliedIdIndex.Of(document));
        }
    }

    [Fact]
    public void A_document_whose_ids_were_replaced_gets_a_new_index_instead_of_the_copied_one()
    {
        var first = new UserDocument { Id = "u", AppliedEventIds = ["a", "b"] };
        var stale = AppliedIdIndex.Of(first);

        var replaced = first with { AppliedEventIds = ["c"] };

        Assert.NotSame(stale, AppliedIdIndex.Of(replaced));
        Assert.Equal(-1, AppliedIdIndex.Of(replaced).LastIndexOf("a"));
        Assert.Equal(0, AppliedIdIndex.Of(replaced).LastIndexOf("c"));
    }

    [Fact]
    public void A_window_holding_an_id_several_times_answers_its_last_position()
    {
        var document = new UserDocument { Id = "u", AppliedEventIds = ["x", "y", "x", "z", "x"] };

        var index = AppliedIdIndex.Of(document);

        Assert.Equal(4, index.LastIndexOf("x"));
        Assert.Equal(1, index.LastIndexOf("y"));
        Assert.Equal(-1, index.LastIndexOf("w"));
    }
}
