using ControlPlane.Features.Experiments;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Experiments;

/// <summary>The cheap agreement scores between a primary and a shadow answer.</summary>
public sealed class AgreementTests
{
    [Fact]
    public void The_same_text_agrees_exactly()
    {
        var a = Agreement.Of("Paris is the capital.", "Paris is the capital.");

        Assert.Equal((true, true, (decimal?)null, true), (a.Exact, a.Normalised, a.JsonFields, a.Matched));
    }

    [Fact]
    public void Case_spacing_and_a_final_full_stop_do_not_count()
    {
        var a = Agreement.Of("Paris is the capital.", "  paris   is the\ncapital ");

        Assert.False(a.Exact);
        Assert.True(a.Normalised);
        Assert.True(a.Matched);
        Assert.False(Agreement.Of("Paris", "Lyon").Matched);
    }

    [Fact]
    public void Structured_answers_are_compared_field_by_field()
    {
        var a = Agreement.Of("""{"city":"Paris","population":2.1,"tags":["a","b"]}""", """{"tags":["a","x"],"population":2.10,"city":"Paris"}""");

        // city, population (2.1 = 2.10), tags[0] agree; tags[1] does not: 3 of 4.
        Assert.Equal(0.75m, a.JsonFields);
        Assert.False(a.Matched);
        Assert.True(Agreement.Of("""{"a":1,"b":[true,null]}""", """{ "b": [true, null], "a": 1.0 }""").Matched);
    }

    [Fact]
    public void A_missing_answer_never_matches()
    {
        Assert.False(Agreement.Of(null, "x").Matched);
        Assert.False(Agreement.Of("x", null).Matched);
    }

    [Fact]
    public void The_answer_text_is_read_from_whole_and_streamed_answers_of_both_front_doors()
    {
        Assert.Equal("Hello", AnswerText.Of("""{"choices":[{"message":{"role":"assistant","content":"Hello"}}]}""", WireFormat.OpenAIChat, streamed: false));
        Assert.Equal("Hi there", AnswerText.Of("""{"content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}]}""", WireFormat.AnthropicMessages, streamed: false));
        var sse = "data: {\"choices\":[{\"delta\":{\"content\":\"one \"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"two\"}}]}\n\ndata: [DONE]\n\n";
        Assert.Equal("one two", AnswerText.Of(sse, WireFormat.OpenAIChat, streamed: true));
        var anthropic = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"yes\"}}\n\n";
        Assert.Equal("yes", AnswerText.Of(anthropic, WireFormat.AnthropicMessages, streamed: true));
        Assert.Null(AnswerText.Of("not json", WireFormat.OpenAIChat, streamed: false));
    }
}
