import { render } from "solid-js/web";
import { App } from "./App.tsx";
import "./styles.css";

render(() => <App />, document.getElementById("root")!);

// Offline cold starts and installability; off the critical path (web/src/pwa.tsx).
if ("serviceWorker" in navigator && import.meta.env.PROD)
  addEventListener("load", () => void import("./pwa.tsx").then((m) => m.startServiceWorker()));
