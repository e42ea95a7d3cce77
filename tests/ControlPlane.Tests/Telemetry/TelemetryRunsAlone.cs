namespace ControlPlane.Tests.Telemetry;

/// <summary>
/// The telemetry tests run one class at a time, after every parallel test. Every app host in this process creates
/// meters of the same names, and the runtime enables a host's listener for every factory-made meter of those names,
/// not only its own (MeterScope.Local matches any IMeterFactory); OpenTelemetry then shares one metric stream between
/// identical instruments, and a host that shuts down completes that stream for all of them. Alone, a test's scrape
/// sees only its own host, and the tracing tests' listeners see no other test's calls.
/// </summary>
[CollectionDefinition(nameof(TelemetryRunsAlone), DisableParallelization = true)]
public sealed class TelemetryRunsAlone;
