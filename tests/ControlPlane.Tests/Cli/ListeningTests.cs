using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ControlPlane.Tests.Cli;

/// <summary>
/// Where the real binary listens is the operator's choice, made the usual ASP.NET Core ways: no setting of ours
/// overrides ASPNETCORE_URLS, --urls or Kestrel's endpoints (the development port lives in launchSettings.json).
/// </summary>
public sealed class ListeningTests
{
    public enum Way { AspNetCoreUrls, UrlsArgument, KestrelEndpoint }

    [Theory]
    [InlineData(Way.AspNetCoreUrls)]
    [InlineData(Way.UrlsArgument)]
    [InlineData(Way.KestrelEndpoint)]
    public async Task The_binary_listens_where_the_operator_says(Way way)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var dataDir = Directory.CreateTempSubdirectory("cp-listen-").FullName;
        var start = AppProcess.StartInfo();
        foreach (var inherited in new[] { "ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "URLS", "Urls" })
            start.Environment.Remove(inherited);
        switch (way)
        {
            case Way.AspNetCoreUrls:
                start.Environment["ASPNETCORE_URLS"] = url;
                break;
            case Way.UrlsArgument:
                start.ArgumentList.Add("--urls");
                start.ArgumentList.Add(url);
                break;
            case Way.KestrelEndpoint:
                start.Environment["Kestrel__Endpoints__Main__Url"] = url;
                break;
        }
        start.Environment["Database__Provider"] = "Sqlite";
        start.Environment["Database__ConnectionString"] = $"Data Source={Path.Combine(dataDir, "listen.db")}";
        start.Environment["Database__SeedDemoData"] = "false";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var deadline = Stopwatch.StartNew();
            HttpStatusCode? status = null;
            while (status is null && deadline.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri($"{url}/health"));
                    status = response.StatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet, or listening but not answering within the client's timeout (a loaded machine).
                    await Task.Delay(200); // polling a starting process; there is nothing to await instead
                }
            }
            string log;
            lock (output) log = output.ToString();
            Assert.True(status == HttpStatusCode.OK, $"GET {url}/health answered {status?.ToString() ?? "nothing"}\n--- app output ---\n{log}");
            Assert.Contains($"Now listening on: {url}", log, StringComparison.Ordinal);
            Assert.DoesNotContain("5080", log, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { /* the OS cleans temp eventually */ }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
