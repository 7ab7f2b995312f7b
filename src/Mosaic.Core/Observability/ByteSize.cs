using System.Globalization;

namespace Mosaic.Core.Observability;

/// <summary>Byte counts for people: advice reasons and CLI tables.</summary>
public static class ByteSize
{
    private static readonly string[] Units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>In the largest binary unit that keeps a whole number in front: 512 MiB, 1.5 GiB, 3.2 TiB.</summary>
    public static string Format(long bytes)
    {
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? bytes.ToString(CultureInfo.InvariantCulture) + " bytes" : value.ToString("0.#", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}
