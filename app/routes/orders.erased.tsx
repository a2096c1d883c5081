import type { MetaFunction } from "@remix-run/node";
import { useSearchParams } from "@remix-run/react";
import { useT } from "~/utils/use-t";

export const meta: MetaFunction = () => [
  { title: "Personal data erased" },
  { name: "robots", content: "noindex" },
];

/** Where the ticket page sends a buyer after erasing their data (its own link no longer works). */
export default function OrderErased() {
  const t = useT();
  const [params] = useSearchParams();
  return (
    <section className="order">
      <h1>{t("order.erased.title")}</h1>
      <p role="status">{t("order.erased.body")}</p>
      {params.get("cancelled") === "1" ? <p>{t("order.erased.cancelled")}</p> : null}
    </section>
  );
}
