namespace ControlPlane.Features.Gateway.Relay;

/// <summary>
/// The attempts made at one provider for one call (retries included), filled in by <see cref="ProviderClients"/>
/// as they go, so that whoever settles the call learns what reached the provider even when the call was cancelled
/// half-way (the client left, the call's time ran out).
/// </summary>
public sealed class ProviderAttempts
{
    private readonly List<Attempt> _attempts = new(1);

    private sealed class Attempt(HttpRequestMessage request)
    {
        public HttpRequestMessage Request { get; } = request;
        public bool Answered { get; set; }
        public bool ReachedProvider => Request.Content is SentContent { Sent: true };
    }

    /// <summary>Attempts made (1 + retries).</summary>
    public int Made
    {
        get { lock (_attempts) return _attempts.Count; }
    }

    /// <summary>
    /// Attempts whose request reached the provider whole and that ended without its answer (first-byte timeout,
    /// connection cut after sending, abandoned because the client left): the provider may have done the work.
    /// </summary>
    public int Unanswered
    {
        get
        {
            lock (_attempts) return _attempts.Count(a => a.ReachedProvider && !a.Answered);
        }
    }

    /// <summary>True when the latest attempt reached the provider whole and has no answer: retrying it would pay twice.</summary>
    public bool LatestUnanswered
    {
        get
        {
            lock (_attempts) return _attempts is [.., var last] && last.ReachedProvider && !last.Answered;
        }
    }

    internal HttpRequestMessage Begin(HttpRequestMessage request)
    {
        lock (_attempts) _attempts.Add(new Attempt(request));
        return request;
    }

    internal void Answered(HttpRequestMessage request)
    {
        lock (_attempts)
            foreach (var attempt in _attempts)
                if (ReferenceEquals(attempt.Request, request)) attempt.Answered = true;
    }
}
