// The parser ships no types: a family per metric name, values as the text wrote them (prom2json's shape).
declare module "parse-prometheus-text-format" {
  export default function parsePrometheusTextFormat(text: string): {
    name: string;
    help: string;
    type: string;
    metrics: { value?: string; labels?: Record<string, string> }[];
  }[];
}
