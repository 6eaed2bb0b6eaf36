-- wrk script for bench/run.sh: after the run, print one JSON line (counts, closed-loop latency in µs).
done = function(summary, latency, requests)
  local errs = summary.errors
  local out = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"rps":%.1f', summary.requests / (summary.duration / 1e6)),
    string.format('"errors":%d', errs.connect + errs.read + errs.write + errs.timeout),
    string.format('"non2xx":%d', errs.status),
  }
  for _, p in ipairs({ { "p50_us", 50 }, { "p99_us", 99 }, { "p999_us", 99.9 } }) do
    out[#out + 1] = string.format('"%s":%d', p[1], latency:percentile(p[2]))
  end
  io.write("{" .. table.concat(out, ",") .. "}\n")
end
