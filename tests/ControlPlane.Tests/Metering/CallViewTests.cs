using ControlPlane.Features.Metering;

namespace ControlPlane.Tests.Metering;

/// <summary>The Requests page's URL: every filter, the order, the size and the cursor survive a round trip; junk is ignored.</summary>
public sealed class CallViewTests
{
    [Fact]
    public void Every_field_of_the_view_survives_the_round_trip_through_the_query_string()
    {
        var view = new CallView
        {
            Range = CallRange.Custom,
            CustomFrom = new DateTime(2026, 11, 3, 8, 30, 0, DateTimeKind.Utc),
            CustomTo = new DateTime(2026, 11, 4, 17, 0, 0, DateTimeKind.Utc),
            Filter = new CallFilter
            {
                TeamId = Guid.NewGuid(), KeyId = Guid.NewGuid(), Caller = "support bot & co", EndUser = "user=42", Model = "gpt-4o-mini", Provider = "openai",
                Outcome = CallOutcome.Failed, Status = 429, ErrorClass = "upstream_rate_limited", CostMin = 0.0015m, CostMax = 2.5m,
                UsageSource = UsageSource.Estimated, Streamed = false,
            },
            Sort = new CallSort(CallSortKey.Latency, false),
            PageSize = 100,
            After = new CallCursor(CallSortKey.Latency, DateTime.UtcNow, Guid.NewGuid(), 0.25m, 1234, 0.25).Token,
        };

        var query = view.ToQueryString();
        var back = CallView.Parse(query);

        Assert.Equal(view, back);
        Assert.Contains("caller=support%20bot%20%26%20co", query, StringComparison.Ordinal);
        Assert.Contains("sort=latency-asc", query, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_view_has_an_empty_query_string_and_a_relative_range_stays_relative()
    {
        Assert.Equal("", new CallView().ToQueryString());
        var lastDay = CallView.Parse("?range=day&outcome=success");
        var now = new DateTime(2026, 11, 10, 12, 0, 0, DateTimeKind.Utc);

        var filter = lastDay.ToFilter(now);

        Assert.Equal(now.AddDays(-1), filter.From);
        Assert.Null(filter.To);
        Assert.Equal(CallOutcome.Succeeded, filter.Outcome);
        Assert.Equal("?range=day&outcome=success", lastDay.ToQueryString());
        Assert.Null(CallView.Parse("?range=all").ToFilter(now).From);
    }

    [Theory]
    [InlineData("?team=not-a-guid&status=abc&costMin=-1&usage=bogus&streamed=maybe&size=100000&sort=nonsense&range=decade")]
    [InlineData("?after=%%%&before=AAAA")]
    public void Malformed_values_fall_back_to_the_defaults_and_never_throw(string query)
    {
        var view = CallView.Parse(query);

        Assert.Null(view.Filter.TeamId);
        Assert.Null(view.Filter.Status);
        Assert.Null(view.Filter.CostMin);
        Assert.Null(view.Filter.UsageSource);
        Assert.Null(view.Filter.Streamed);
        Assert.Equal(CallSort.Newest, view.Sort);
        Assert.InRange(view.PageSize, 1, CallQueries.MaxPageSize);
        Assert.Null(CallCursor.Parse(view.After));
        Assert.Null(CallCursor.Parse(view.Before));
    }

    [Fact]
    public void A_cursor_token_names_the_sort_time_id_and_value_of_the_row_exactly()
    {
        var cursor = new CallCursor(CallSortKey.Cost, new DateTime(2026, 11, 3, 8, 30, 1, DateTimeKind.Utc).AddTicks(1234567), Guid.NewGuid(), 0.000123456789m, 0, 0.000123456789);

        var back = CallCursor.Parse(cursor.Token);

        Assert.Equal(cursor, back);
        Assert.DoesNotContain('+', cursor.Token);
        Assert.DoesNotContain('/', cursor.Token);
        Assert.DoesNotContain('=', cursor.Token);
    }

    [Fact]
    public void The_export_link_carries_the_filters_but_never_the_cursor()
    {
        var view = CallView.Parse("?model=gpt-4o&outcome=errors&after=abc&size=50");

        var url = CallEndpoints.ExportUrl(view);

        Assert.StartsWith("/calls/export.csv?", url, StringComparison.Ordinal);
        Assert.Contains("model=gpt-4o", url, StringComparison.Ordinal);
        Assert.Contains("outcome=errors", url, StringComparison.Ordinal);
        Assert.DoesNotContain("after=", url, StringComparison.Ordinal);
    }
}
