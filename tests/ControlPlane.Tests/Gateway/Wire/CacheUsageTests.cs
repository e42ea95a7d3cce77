using System.Buffers;
using System.Text.Json;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>
/// One meaning of usage inside (input counts cache reads and writes, as OpenAI's prompt_tokens does), Anthropic's
/// meaning at its edge (input_tokens excludes both), converted both ways without losing the cache writes.
/// </summary>
public class CacheUsageTests
{
    private static JsonElement Usage(string json) => JsonDocument.Parse(json).RootElement;

    private static JsonElement Written(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.GetProperty("usage");
    }

    [Fact]
    public void Anthropic_usage_counts_cache_reads_and_writes_in_the_input_and_keeps_the_writes_apart()
    {
        var usage = UsageFields.Anthropic(Usage("""{"input_tokens":25,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":17}"""));

        Assert.Equal(new TokenUsage(130, 100, 17, 5), usage);
        Assert.Equal(25, usage!.Value.UncachedInputTokens);
    }

    [Fact]
    public void Anthropic_usage_read_then_written_back_is_the_same_usage()
    {
        var original = """{"input_tokens":25,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":17}""";

        var back = Written(w => UsageFields.WriteAnthropic(w, UsageFields.Anthropic(Usage(original))!.Value));

        Assert.Equal(25, back.GetProperty("input_tokens").GetInt64());
        Assert.Equal(5, back.GetProperty("cache_creation_input_tokens").GetInt64());
        Assert.Equal(100, back.GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(17, back.GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public void Anthropic_usage_through_the_OpenAI_front_door_puts_all_input_in_prompt_tokens_and_only_reads_in_cached_tokens()
    {
        var t = WireTranslation.TranslateResponse(WireKit.Utf8(WireSamples.AnthropicResponse), WireFormat.AnthropicMessages, WireFormat.OpenAIChat, "smart");

        var usage = WireKit.Json(t.Body).GetProperty("usage");
        Assert.Equal(130, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(100, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(147, usage.GetProperty("total_tokens").GetInt64());
        // Read back at the OpenAI edge, the writes are inside the input (priced as input there: OpenAI has no writes).
        Assert.Equal(new TokenUsage(130, 100, 17), UsageFields.OpenAI(usage));
        Assert.Equal(new TokenUsage(130, 100, 17, 5), t.Usage);
    }

    [Fact]
    public void OpenAI_usage_through_the_Anthropic_front_door_leaves_cached_tokens_out_of_input_tokens()
    {
        var back = Written(w => UsageFields.WriteAnthropic(w, UsageFields.OpenAI(Usage("""{"prompt_tokens":42,"completion_tokens":17,"prompt_tokens_details":{"cached_tokens":10}}"""))!.Value));

        Assert.Equal(32, back.GetProperty("input_tokens").GetInt64());
        Assert.Equal(10, back.GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(0, back.GetProperty("cache_creation_input_tokens").GetInt64());
    }

    [Fact]
    public void A_provider_reporting_more_cached_than_input_tokens_is_written_out_clamped_never_negative()
    {
        var odd = new TokenUsage(InputTokens: 10, CachedInputTokens: 25, OutputTokens: 3, CacheWriteInputTokens: 7);

        var anthropic = Written(w => UsageFields.WriteAnthropic(w, odd));
        var openAI = Written(w => UsageFields.WriteOpenAI(w, odd));

        Assert.Equal((0L, 10L, 0L), (anthropic.GetProperty("input_tokens").GetInt64(), anthropic.GetProperty("cache_read_input_tokens").GetInt64(),
            anthropic.GetProperty("cache_creation_input_tokens").GetInt64()));
        Assert.Equal(10, openAI.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
    }
}
