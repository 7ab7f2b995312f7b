namespace Mosaic.Load.Results;

/// <summary>"CPU model (N cores)" of this machine, for every result file.</summary>
public static class Machine
{
    public static string Describe()
    {
        string model = "unknown CPU";
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null)
                {
                    model = line[(line.IndexOf(':') + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
            // Keep "unknown CPU": the description is informative only.
        }

        return $"{model} ({Environment.ProcessorCount} cores)";
    }
}
