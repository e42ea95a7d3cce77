using System.Buffers;
using System.Text;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>The relay's per-event cost in memory: a fixed small bound that does not grow with the stream's length.</summary>
public class StreamAllocationTests
{
    private const string OpenAIChunk = """data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5f","choices":[{"index":0,"delta":{"content":" token\u00e9"},"logprobs":null,"finish_reason":null}],"usage":null}""";
    private const string AnthropicDelta = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" token\\u00e9\"}}";

    private const string AnthropicStart = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}


        """;

    private static byte[] Stream(string head, string eventText, int events)
    {
        var sb = new StringBuilder(head);
        for (var i = 0; i < events; i++)
        {
            sb.Append(eventText).Append("\n\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Bytes allocated per event relaying the whole stream through SseReader and the translator.</summary>
    private static async Task<double> BytesPerEventAsync(WireFormat provider, WireFormat frontDoor, string head, string eventText, int events)
    {
        var input = Stream(head, eventText, events);
        var translator = WireTranslation.CreateStream(provider, frontDoor, "smart");
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        using var reader = new SseReader(new MemoryStream(input));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var n = 0;
        // MemoryStream completes reads synchronously, so the whole loop stays on this thread.
        while (await reader.TryReadEventAsync())
        {
            translator.OnEvent(reader.EventName, reader.Data.Span, output);
            output.ResetWrittenCount();
            n++;
        }
        var after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(events + (head.Length > 0 ? 2 : 0), n);
        Assert.True(translator.OutputCharacters >= events * 7L);
        return (after - before) / (double)n;
    }

    [Theory]
    [InlineData(WireFormat.OpenAIChat, WireFormat.OpenAIChat)]
    [InlineData(WireFormat.AnthropicMessages, WireFormat.AnthropicMessages)]
    [InlineData(WireFormat.AnthropicMessages, WireFormat.OpenAIChat)]
    [InlineData(WireFormat.OpenAIChat, WireFormat.AnthropicMessages)]
    public async Task Allocation_per_event_stays_under_a_small_bound_and_does_not_grow_with_length(WireFormat provider, WireFormat frontDoor)
    {
        var head = provider == WireFormat.AnthropicMessages ? AnthropicStart : "";
        var eventText = provider == WireFormat.AnthropicMessages ? AnthropicDelta : OpenAIChunk;
        await BytesPerEventAsync(provider, frontDoor, head, eventText, 100); // warm up (JIT, pools, caches)

        var small = await BytesPerEventAsync(provider, frontDoor, head, eventText, 1_000);
        var large = await BytesPerEventAsync(provider, frontDoor, head, eventText, 10_000);

        Assert.True(small < 16, $"{small:F1} bytes per event over 1,000 events");
        Assert.True(large < 16, $"{large:F1} bytes per event over 10,000 events");
        Assert.True(large <= small + 1, $"per-event allocation grew with length: {small:F1} → {large:F1}");
    }
}
