using ControlPlane.Infrastructure.Data;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>
/// Marks a test class that runs on a real SQL Server: its <see cref="DatabaseFactAttribute"/> tests run when
/// CONTROLPLANE_TEST_SQLSERVER names one and are reported as skipped, with the reason, otherwise.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RequiresSqlServerAttribute : Attribute
{
    /// <summary>Why a SQL Server test cannot run here, or null when it can.</summary>
    public static string? SkipReason() =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TestDatabase.SqlServerVariable))
            ? $"No SQL Server: set {TestDatabase.SqlServerVariable} to a SqlClient connection string of a login that may create databases (see README)."
            : null;
}

/// <summary>
/// A fact on a database test class parameterised by <see cref="DatabaseProvider"/>: like [Fact], but skipped with a
/// clear reason when the concrete class is marked <see cref="RequiresSqlServerAttribute"/> and no SQL Server is set.
/// </summary>
[XunitTestCaseDiscoverer("ControlPlane.Tests.Infrastructure.DatabaseFactDiscoverer", "ControlPlane.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class DatabaseFactAttribute : FactAttribute;

public sealed class DatabaseFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        if (testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresSqlServerAttribute)).Any() && RequiresSqlServerAttribute.SkipReason() is { } reason)
            return [new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)];
        return base.Discover(discoveryOptions, testMethod, factAttribute);
    }
}
