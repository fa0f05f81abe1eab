using FuncRec.Core.Drift;
using FuncRec.Core.Training;

namespace FuncRec.Core.UnitTests.Drift;

public sealed class PageHinkleyDetectorTests
{
    private const int StepAt = 2000;

    [Fact]
    public void Fires_within_a_bounded_delay_after_a_step_increase_of_the_mean()
    {
        var random = new SeededRandom(3);
        var detector = new PageHinkleyDetector();

        var alarmAt = -1;
        for (var t = 0; t < StepAt + 1000 && alarmAt < 0; t++)
        {
            var mean = t < StepAt ? 0.5 : 1.5;
            if (detector.Add(mean + (0.2 * Gaussian(random))))
            {
                alarmAt = t;
            }
        }

        // A rise of 1 adds about 1 per sample to the statistic, so λ = 40 is crossed some 40 samples after the step.
        Assert.InRange(alarmAt, StepAt, StepAt + 100);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void Does_not_fire_on_a_stationary_noisy_stream(ulong seed)
    {
        var random = new SeededRandom(seed);
        var detector = new PageHinkleyDetector();

        var alarms = 0;
        for (var t = 0; t < 20_000; t++)
        {
            if (detector.Add(1.0 + (0.2 * Gaussian(random))))
            {
                alarms++;
            }
        }

        Assert.Equal(0, alarms);
        Assert.Equal(20_000, detector.Samples);
    }

    [Fact]
    public void Never_fires_on_a_decreasing_stream()
    {
        var detector = new PageHinkleyDetector(new PageHinkleyOptions { MinSamples = 1, Threshold = 1 });

        for (var t = 0; t < 20_000; t++)
        {
            Assert.False(detector.Add(10.0 - (t * 0.0005)));
        }

        Assert.Equal(0, detector.Statistic);
    }

    [Fact]
    public void Never_fires_on_a_noisy_decreasing_stream()
    {
        var random = new SeededRandom(5);
        var detector = new PageHinkleyDetector();

        for (var t = 0; t < 20_000; t++)
        {
            Assert.False(detector.Add(2.0 - (t * 0.0001) + (0.2 * Gaussian(random))));
        }
    }

    [Fact]
    public void Resets_after_an_alarm()
    {
        var detector = new PageHinkleyDetector(new PageHinkleyOptions { MinSamples = 10, Threshold = 5 });
        for (var t = 0; t < 10; t++)
        {
            detector.Add(0);
        }

        var fired = false;
        var samples = 0;
        while (!fired && samples < 100)
        {
            fired = detector.Add(10);
            samples++;
        }

        Assert.True(fired);
        Assert.Equal(0, detector.Samples);
        Assert.Equal(0, detector.Statistic);

        // Starting afresh at the new level: nothing has risen since, so it stays quiet.
        for (var t = 0; t < 500; t++)
        {
            Assert.False(detector.Add(10));
        }
    }

    [Fact]
    public void Does_not_fire_before_MinSamples_even_on_a_large_rise()
    {
        var detector = new PageHinkleyDetector(new PageHinkleyOptions { MinSamples = 50, Threshold = 1 });
        var firstAlarm = -1;
        for (var t = 0; t < 100 && firstAlarm < 0; t++)
        {
            if (detector.Add(t < 5 ? 0 : 100))
            {
                firstAlarm = t;
            }
        }

        // The statistic passes the threshold at the 6th sample; the alarm waits for the 50th.
        Assert.Equal(49, firstAlarm);
    }

    [Fact]
    public void Reset_clears_the_state()
    {
        var detector = new PageHinkleyDetector();
        detector.Add(0);
        detector.Add(5);

        detector.Reset();

        Assert.Equal(0, detector.Samples);
        Assert.Equal(0, detector.Statistic);
    }

    [Fact]
    public void Ignores_non_finite_observations()
    {
        var detector = new PageHinkleyDetector();

        Assert.False(detector.Add(double.NaN));
        Assert.False(detector.Add(double.PositiveInfinity));
        Assert.Equal(0, detector.Samples);
    }

    [Fact]
    public void Statistic_is_the_cumulative_deviation_above_its_minimum()
    {
        // Forgetting 1 gives the plain running mean, so the statistic can be followed by hand.
        var detector = new PageHinkleyDetector(new PageHinkleyOptions { Delta = 0, Forgetting = 1, MinSamples = 100 });

        detector.Add(0); // mean 0, cumulative 0
        detector.Add(2); // mean 1, cumulative 1
        detector.Add(4); // mean 2, cumulative 3

        Assert.Equal(3, detector.Statistic, 1e-12);
        Assert.Equal(3, detector.Samples);
    }

    [Theory]
    [InlineData(-0.1, 40, 300, 0.9995, "Delta")]
    [InlineData(double.NaN, 40, 300, 0.9995, "Delta")]
    [InlineData(0.01, 0, 300, 0.9995, "Threshold")]
    [InlineData(0.01, double.PositiveInfinity, 300, 0.9995, "Threshold")]
    [InlineData(0.01, 40, 0, 0.9995, "MinSamples")]
    [InlineData(0.01, 40, 300, 0, "Forgetting")]
    [InlineData(0.01, 40, 300, 1.5, "Forgetting")]
    [InlineData(0.01, 40, 300, double.NaN, "Forgetting")]
    public void Options_out_of_range_are_rejected_naming_the_option(double delta, double threshold, int minSamples, double forgetting, string name)
    {
        var options = new PageHinkleyOptions { Delta = delta, Threshold = threshold, MinSamples = minSamples, Forgetting = forgetting };

        var error = Assert.Throws<ArgumentException>(() => new PageHinkleyDetector(options));

        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void Default_options_and_a_plain_mean_are_valid()
    {
        new PageHinkleyOptions().Validate();
        new PageHinkleyOptions { Forgetting = 1, Delta = 0 }.Validate();
    }

    private static double Gaussian(SeededRandom random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
