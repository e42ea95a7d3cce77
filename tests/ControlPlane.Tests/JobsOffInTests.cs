using System.Runtime.CompilerServices;

namespace ControlPlane.Tests;

internal static class JobsOffInTests
{
    /// <summary>
    /// Every app host these tests start would otherwise run a Hangfire server polling its database; the tests that
    /// exercise jobs switch it back on with the setting Jobs:Server=true (settings outrank environment variables).
    /// </summary>
    [ModuleInitializer]
    internal static void SwitchTheJobServerOff() => Environment.SetEnvironmentVariable("Jobs__Server", "false");
}
