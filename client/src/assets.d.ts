// Stylesheets imported for their side effect (Vite injects them); no exports to type.
declare module "*.css";
