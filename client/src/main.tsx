import { render } from "preact";

function App() {
  return <main><h1>Unibox</h1><p>The phone client is on its way.</p></main>;
}

render(<App />, document.getElementById("app")!);
