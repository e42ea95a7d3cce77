namespace ControlPlane.Tests.Live;

/// <summary>Polls a condition until it holds; the limit only ends a test that would otherwise hang, it asserts no speed.</summary>
internal static class Until
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what)
    {
        using var limit = new CancellationTokenSource(Limit);
        while (!await condition())
        {
            if (limit.IsCancellationRequested) throw new TimeoutException($"Still not true after {Limit.TotalSeconds} s: {what}");
            await Task.Delay(100);
        }
    }

    public static async Task DoneAsync(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Still not done after {Limit.TotalSeconds} s: {what}");
        }
    }

    public static async Task<T> DoneAsync<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Still not done after {Limit.TotalSeconds} s: {what}");
        }
    }
}
